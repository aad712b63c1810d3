"""The restaurant's business day: a calendar date in its own time zone, as an instant range.

Reports and date filters name a local date ("30 November in Jakarta"); the database stores
instants in UTC. A day is `[00:00, 24:00)` local time, converted to UTC, so a payment at 23:30
belongs to that day and one at 00:30 to the next. Computed with the zone's own rules, so a
zone with daylight saving time gets its 23- and 25-hour days right.
"""

from datetime import UTC, date, datetime, time, timedelta, tzinfo


def day_window(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The instants `[start, end)` in UTC of the local calendar day `day` in `zone`."""
    return days_window(day, day, zone)


def days_window(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The instants `[start, end)` in UTC from the start of `first` to the end of `last`
    (both local dates in `zone`, inclusive). ValueError when `last` is before `first`, or a
    bound falls outside the years 1 to 9999 in UTC (the first and last days of the calendar)."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    try:
        start = datetime.combine(first, time(0), tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date is outside the range of instants kasir stores") from None
