"""RESTAURANT_TIMEZONE is an IANA zone checked at start-up (Asia/Jakarta by default), and the
receipt header settings are one line of text each."""

from datetime import datetime, timedelta

import pytest

from entrypoints.settings import SettingsError, load_settings

pytestmark = pytest.mark.unit


def test_by_default_the_restaurant_is_in_jakarta() -> None:
    restaurant = load_settings(_env_file=None).restaurant
    assert restaurant.zone_name == "Asia/Jakarta"
    assert datetime(2026, 11, 30, tzinfo=restaurant.zone).utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize("zone", ["Asia/Makassar", "Asia/Jayapura", "UTC", " Asia/Jakarta "])
def test_any_iana_zone_is_taken(zone: str) -> None:
    settings = load_settings(_env_file=None, restaurant_timezone=zone)
    assert settings.restaurant.zone_name == zone.strip()


@pytest.mark.parametrize("zone", ["WIB", "Asia/Jakart", "+07:00", "", "../../etc/passwd"])
def test_a_zone_that_does_not_exist_stops_start_up_with_a_clear_message(zone: str) -> None:
    with pytest.raises(SettingsError, match="RESTAURANT_TIMEZONE must be an IANA time zone"):
        load_settings(_env_file=None, restaurant_timezone=zone)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("restaurant_name", "Warung\nSari"),
        ("restaurant_address", "Jl. Sabang\x00 12"),
        ("restaurant_name", ""),
        ("restaurant_name", "x" * 121),
    ],
)
def test_a_receipt_header_that_is_not_one_line_of_text_is_refused(field: str, value: str) -> None:
    with pytest.raises(SettingsError, match=field.upper()):
        load_settings(_env_file=None, **{field: value})
