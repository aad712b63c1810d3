"""A restaurant's business day is [00:00, 24:00) local time, as UTC instants."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.business_day import day_window, days_window

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("zone", "start", "hours"),
    [
        # Jakarta is UTC+7 all year: 30 November runs from 29 November 17:00 UTC.
        ("Asia/Jakarta", datetime(2026, 11, 29, 17, tzinfo=UTC), 24),
        ("Asia/Makassar", datetime(2026, 11, 29, 16, tzinfo=UTC), 24),
        ("Asia/Jayapura", datetime(2026, 11, 29, 15, tzinfo=UTC), 24),
        ("UTC", datetime(2026, 11, 30, tzinfo=UTC), 24),
    ],
)
def test_a_day_is_its_local_midnights_in_utc(zone: str, start: datetime, hours: int) -> None:
    assert day_window(date(2026, 11, 30), ZoneInfo(zone)) == (
        start,
        start + timedelta(hours=hours),
    )


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)]
)
def test_a_day_with_a_clock_change_is_as_long_as_the_zone_makes_it(day: date, hours: int) -> None:
    start, end = day_window(day, ZoneInfo("Europe/Berlin"))
    assert end - start == timedelta(hours=hours)


def test_a_payment_at_23_30_is_that_days_and_one_at_00_30_the_next_days() -> None:
    jakarta = ZoneInfo("Asia/Jakarta")
    start, end = day_window(date(2026, 11, 30), jakarta)
    late = datetime(2026, 11, 30, 23, 30, tzinfo=jakarta)
    after_midnight = datetime(2026, 12, 1, 0, 30, tzinfo=jakarta)
    assert start <= late < end
    assert not start <= after_midnight < end
    assert day_window(date(2026, 12, 1), jakarta)[0] <= after_midnight


def test_a_range_of_days_covers_both_ends_and_refuses_to_run_backwards() -> None:
    jakarta = ZoneInfo("Asia/Jakarta")
    start, end = days_window(date(2026, 11, 1), date(2026, 11, 30), jakarta)
    assert (start, end) == (
        day_window(date(2026, 11, 1), jakarta)[0],
        day_window(date(2026, 11, 30), jakarta)[1],
    )
    with pytest.raises(ValueError, match="before it starts"):
        days_window(date(2026, 11, 30), date(2026, 11, 29), jakarta)


@pytest.mark.parametrize("day", [date.min, date.max])
def test_a_day_at_the_edge_of_the_calendar_is_refused_not_overflowed(day: date) -> None:
    with pytest.raises(ValueError, match="outside the range"):
        day_window(day, ZoneInfo("Asia/Jakarta"))
