"""Cash drawer shifts: open, paid-in/paid-out, close, and the X and Z reports (cashier, admin)."""

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.callers import Staff
from application.use_cases.shifts import (
    CloseShift,
    CurrentShift,
    GetShiftReport,
    OpenShift,
    RecordCashMovement,
    ShiftReport,
)
from entrypoints.http.auth import STAFF_ONLY as STAFF
from entrypoints.http.errors import responses
from entrypoints.http.idempotency import IDEMPOTENT, IdempotencyKey
from entrypoints.http.schemas.constraints import PathId
from entrypoints.http.schemas.drawer import (
    CashMovementRequest,
    CashMovementResponse,
    CloseShiftRequest,
    OpenShiftRequest,
    ShiftReportResponse,
)


class ShiftController(Controller):
    path = "/api/v1/shifts"
    tags = ["shifts"]  # noqa: RUF012

    @post(
        "/",
        summary="Open the caller's shift with the opening float (cashier, admin)",
        description="409 shift_already_open when the caller has an open shift.",
        security=STAFF,
        responses=responses(400, 401, 403, 409, 413, 415, 422),
    )
    async def open(
        self,
        data: JSONBody[OpenShiftRequest],
        open_shift: NamedDependency[OpenShift],
        staff: NamedDependency[Staff],
    ) -> ShiftReportResponse:
        shift = await open_shift.execute(opening_float=data.opening_float, caller=staff)
        return ShiftReportResponse.of(ShiftReport(shift=shift, movements=[]))

    @get(
        "/current",
        summary="The caller's open shift with its X report (cashier, admin)",
        description="404 when the caller has no open shift.",
        security=STAFF,
        responses=responses(400, 401, 403, 404),
    )
    async def current(
        self, current_shift: NamedDependency[CurrentShift], staff: NamedDependency[Staff]
    ) -> ShiftReportResponse:
        return ShiftReportResponse.of(await current_shift.execute(caller=staff))

    @get(
        "/{shift_id:int}/report",
        summary="The X report of an open shift, or the Z report of a closed one",
        description="Its own cashier or an admin; 403 not_your_shift for anybody else.",
        security=STAFF,
        responses=responses(400, 401, 403, 404),
    )
    async def report(
        self,
        shift_id: PathId,
        get_shift_report: NamedDependency[GetShiftReport],
        staff: NamedDependency[Staff],
    ) -> ShiftReportResponse:
        return ShiftReportResponse.of(await get_shift_report.execute(shift_id, caller=staff))

    @post(
        "/{shift_id:int}/cash-movements",
        summary="Paid-in or paid-out of the shift's drawer, with a reason",
        description=(
            "Its own cashier or an admin. 422 invalid_amount for 0, reason_required without a "
            "reason; 409 shift_closed for a closed shift. Send an Idempotency-Key so that a "
            "retried request is not counted twice."
        ),
        security=STAFF,
        opt=IDEMPOTENT,
        responses=responses(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def move_cash(
        self,
        shift_id: PathId,
        data: JSONBody[CashMovementRequest],
        record_cash_movement: NamedDependency[RecordCashMovement],
        staff: NamedDependency[Staff],
        idempotency_key: IdempotencyKey = None,
    ) -> CashMovementResponse:
        movement = await record_cash_movement.execute(
            shift_id, kind=data.kind, amount=data.amount, reason=data.reason or "", caller=staff
        )
        return CashMovementResponse.of(movement)

    @post(
        "/{shift_id:int}/close",
        summary="Close the shift with the counted cash; answers the Z report",
        description=(
            "Its own cashier, or an admin (a force-close of somebody else's abandoned shift, "
            "marked `force_closed`). 409 shift_closed when it is closed already."
        ),
        status_code=200,
        security=STAFF,
        responses=responses(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def close(
        self,
        shift_id: PathId,
        data: JSONBody[CloseShiftRequest],
        close_shift: NamedDependency[CloseShift],
        staff: NamedDependency[Staff],
    ) -> ShiftReportResponse:
        report = await close_shift.execute(
            shift_id, counted_cash=data.counted_cash, note=data.note, caller=staff
        )
        return ShiftReportResponse.of(report)
