"""Request and response bodies of the cash drawer shifts and the refunds."""

from datetime import datetime
from typing import Annotated

import msgspec

from application.use_cases.shifts import ShiftReport
from domain.refunds import Refund
from domain.shifts import MAX_NOTE_LENGTH, MAX_REASON_LENGTH, CashMovement, CashMovementKind
from entrypoints.http.input_guard import FREE_TEXT, SINGLE_LINE
from entrypoints.http.schemas.constraints import Rupiah

# A reason may be left out or blank here: the use case answers 422 reason_required for it.
Reason = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_REASON_LENGTH,
        pattern=SINGLE_LINE,
        description="why (required: 422 reason_required when missing or blank)",
    ),
]
LongNote = Annotated[str, msgspec.Meta(max_length=MAX_NOTE_LENGTH, pattern=FREE_TEXT)]
Reference = Annotated[
    str,
    msgspec.Meta(
        max_length=255,
        pattern=SINGLE_LINE,
        description="the bank transfer or gateway dashboard reference of a QRIS refund made "
        "by hand",
    ),
]
LineNo = Annotated[int, msgspec.Meta(ge=1, le=100, description="1-based line of the order")]
RefundQuantity = Annotated[int, msgspec.Meta(ge=1, le=99)]


class OpenShiftRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The cash put in the drawer to give change from."""

    opening_float: Rupiah


class CashMovementRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Cash put into (paid_in) or taken out of (paid_out) the drawer, with the reason."""

    kind: CashMovementKind
    amount: Rupiah
    reason: Reason | None = None


class CloseShiftRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The cash counted in the drawer at the close, and a note (why it differs, ...)."""

    counted_cash: Rupiah
    note: LongNote | None = None


class CashMovementResponse(msgspec.Struct, kw_only=True):
    id: int
    shift_id: int
    kind: str
    amount: int
    reason: str
    staff_id: str
    staff_name: str
    at: datetime

    @classmethod
    def of(cls, movement: CashMovement) -> "CashMovementResponse":
        return cls(
            id=movement.id or 0,
            shift_id=movement.shift_id,
            kind=movement.kind.value,
            amount=movement.amount,
            reason=movement.reason,
            staff_id=movement.staff_id,
            staff_name=movement.staff_name,
            at=movement.at,
        )


class ShiftReportResponse(msgspec.Struct, kw_only=True):
    """The X report (`report: "X"`, an open shift, read at `as_of`) or the Z report
    (`report: "Z"`, a closed shift, frozen at its close).

    expected_cash = opening_float + cash_payments - cash_refunds + paid_in - paid_out.
    difference = counted_cash - expected_cash (positive: over; negative: short).
    """

    id: int
    report: str
    status: str
    staff_id: str
    staff_name: str
    opened_at: datetime
    opening_float: int
    cash_payments: int
    cash_payments_count: int
    cash_refunds: int
    cash_refunds_count: int
    paid_in: int
    paid_out: int
    expected_cash: int
    movements: list[CashMovementResponse]
    counted_cash: int | None = None
    difference: int | None = None
    note: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    force_closed: bool = False

    @classmethod
    def of(cls, report: ShiftReport) -> "ShiftReportResponse":
        shift = report.shift
        return cls(
            id=shift.key,
            report="X" if shift.is_open else "Z",
            status=shift.status.value,
            staff_id=shift.staff_id,
            staff_name=shift.staff_name,
            opened_at=shift.opened_at,
            opening_float=shift.opening_float,
            cash_payments=shift.cash_payments,
            cash_payments_count=shift.cash_payments_count,
            cash_refunds=shift.cash_refunds,
            cash_refunds_count=shift.cash_refunds_count,
            paid_in=shift.paid_in,
            paid_out=shift.paid_out,
            expected_cash=(
                shift.expected_cash if shift.expected_at_close is None else shift.expected_at_close
            ),
            movements=[CashMovementResponse.of(m) for m in report.movements],
            counted_cash=shift.counted_cash,
            difference=shift.difference,
            note=shift.note,
            closed_at=shift.closed_at,
            closed_by=shift.closed_by_name,
            force_closed=shift.force_closed,
        )


class RefundLineRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_no: LineNo
    quantity: RefundQuantity


class RefundRequestBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Either `amount` or `lines` (not both: 422 invalid_refund), and the reason.

    `reference` is for an admin's QRIS refund at or below the approval threshold, which is
    approved at once and so needs the reference of the refund made by hand.
    """

    reason: Reason | None = None
    amount: Rupiah | None = None
    lines: Annotated[list[RefundLineRequest], msgspec.Meta(max_length=100)] | None = None
    reference: Reference | None = None


class ApproveRefundRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A QRIS refund needs the reference of the refund made by hand (422
    refund_reference_required otherwise); a cash refund needs none."""

    reference: Reference | None = None


class RejectRefundRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: LongNote | None = None


class RefundLineResponse(msgspec.Struct, kw_only=True):
    line_no: int
    quantity: int


class RefundResponse(msgspec.Struct, kw_only=True):
    """A refund request. `made_by_hand` marks a QRIS refund made outside kasir (bank transfer
    or gateway dashboard) under `reference`; a cash one came out of `shift_id`'s drawer."""

    id: int
    order_id: int
    payment_uid: str
    method: str
    amount: int
    status: str
    reason: str
    requested_by: str
    requested_by_name: str
    requested_at: datetime
    flagged: bool
    lines: list[RefundLineResponse]
    made_by_hand: bool
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    shift_id: int | None = None
    reference: str | None = None

    @classmethod
    def of(cls, refund: Refund) -> "RefundResponse":
        return cls(
            id=refund.key,
            order_id=refund.order_id,
            payment_uid=refund.payment_uid,
            method=refund.method.value,
            amount=refund.amount,
            status=refund.status.value,
            reason=refund.reason,
            requested_by=refund.requested_by,
            requested_by_name=refund.requested_by_name,
            requested_at=refund.requested_at,
            flagged=refund.flagged,
            lines=[
                RefundLineResponse(line_no=line.line_no, quantity=line.quantity)
                for line in refund.lines
            ],
            made_by_hand=refund.reference is not None,
            decided_by=refund.decided_by,
            decided_by_name=refund.decided_by_name,
            decided_at=refund.decided_at,
            decision_note=refund.decision_note,
            shift_id=refund.shift_id,
            reference=refund.reference,
        )


class RefundListResponse(msgspec.Struct, kw_only=True):
    items: list[RefundResponse]


class CancelOrderRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Why the order is voided (required: 422 reason_required when missing or blank)."""

    reason: Reason | None = None
