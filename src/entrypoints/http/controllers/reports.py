"""Reports for admins: the day report, as JSON or as CSV for the accountant."""

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.callers import Staff
from application.use_cases.reports import GetDayReport
from entrypoints.http.alternate_formats import alternate_formats
from entrypoints.http.auth import STAFF_ONLY
from entrypoints.http.errors import responses
from entrypoints.http.schemas.reports import DayReportResponse, day_report_csv

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store"}  # the day's money: never kept by a cache


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]  # noqa: RUF012

    @get(
        "/daily",
        summary="The day report: orders and money of a local date, by payment method (admins)",
        description=(
            "The date is a calendar day in the restaurant's time zone (RESTAURANT_TIMEZONE): "
            "[00:00, 24:00) local time; today there when left out. `format=csv` answers "
            "text/csv with the columns listed in docs/reports.md."
        ),
        security=STAFF_ONLY,
        operation_class=alternate_formats("text/csv"),
        responses=responses(400, 401, 403),
    )
    async def daily(
        self,
        staff: NamedDependency[Staff],
        get_day_report: NamedDependency[GetDayReport],
        day: Annotated[
            date | None,
            QueryParameter(
                name="date",
                description="YYYY-MM-DD, a date in the restaurant's zone (default: today there)",
            ),
        ] = None,
        format: Annotated[
            Literal["json", "csv"], QueryParameter(description="json (default) or csv")
        ] = "json",
    ) -> Response[DayReportResponse]:
        report = await get_day_report.execute(day, caller=staff)
        if format == "csv":
            filename = f"kasir-day-{report.day.isoformat()}.csv"
            return Response(
                day_report_csv(report),  # type: ignore[arg-type]
                media_type=CSV_MEDIA_TYPE,
                headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return Response(DayReportResponse.of(report), media_type=MediaType.JSON, headers=NO_STORE)
