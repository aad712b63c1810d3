"""A clock tests can set and move."""

from datetime import UTC, datetime, timedelta


class SettableClock:
    """Returns the time it was set to; `advance` moves it forward."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
