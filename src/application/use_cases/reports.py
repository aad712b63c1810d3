"""The day report (admins): a local date's orders and money, by payment method."""

from dataclasses import dataclass
from datetime import date

from application.callers import Caller, Role, require_staff
from application.errors import InvalidQuery
from application.ports import Clock, ReportQueries
from application.receipts import Restaurant
from application.reports import DayReport
from domain.business_day import day_window


@dataclass(frozen=True, slots=True)
class GetDayReport:
    """The report of `day`, a date in the restaurant's time zone (today there by default):
    `[00:00, 24:00)` local time as UTC instants (domain.business_day), summed by the database
    (ReportQueries)."""

    queries: ReportQueries
    restaurant: Restaurant
    clock: Clock

    async def execute(self, day: date | None, *, caller: Caller) -> DayReport:
        """Raises Forbidden for anybody but an admin, InvalidQuery for a date at the very
        edge of the calendar (no whole day of instants)."""
        require_staff(caller, Role.ADMIN)
        if day is None:  # today, where the restaurant is
            day = self.clock.now().astimezone(self.restaurant.zone).date()
        try:
            start, end = day_window(day, self.restaurant.zone)
        except ValueError as error:
            raise InvalidQuery(str(error)) from None
        totals = await self.queries.day_totals(start=start, end=end)
        return DayReport(
            day=day,
            time_zone=self.restaurant.zone_name,
            start=start,
            end=end,
            totals=totals,
        )
