"""The payment page's settings: a blank RESTAURANT_EMAIL or REDIS_URL means unset, a malformed
e-mail stops start-up naming the setting, and the bounds of the stream settings hold."""

from typing import Any

import pytest

from entrypoints.settings import SettingsError, load_settings


def test_blank_optional_settings_mean_unset() -> None:
    settings = load_settings(duitku_env="fake", restaurant_email=" ", redis_url="")

    assert (settings.restaurant_email, settings.redis_url) == (None, None)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"restaurant_email": "not an address"}, "RESTAURANT_EMAIL"),
        ({"payment_link_hours": 0}, "PAYMENT_LINK_HOURS"),
        ({"stream_token_seconds": 5}, "STREAM_TOKEN_SECONDS"),
        ({"stream_max_per_order": 0}, "STREAM_MAX_PER_ORDER"),
        ({"restaurant_name": ""}, "RESTAURANT_NAME"),
    ],
)
def test_bad_page_settings_stop_start_up_naming_the_setting(
    overrides: dict[str, Any], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(duitku_env="fake", **overrides)


def test_the_redis_url_never_shows_in_the_settings_repr() -> None:
    settings = load_settings(duitku_env="fake", redis_url="redis://:s3cret-pass@cache:6379/0")

    assert "s3cret-pass" not in repr(settings)
