"""Domain events: facts about what happened, recorded by aggregates and published after commit."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    order_id: int
    total: int


@dataclass(frozen=True, slots=True)
class OrderPaid:
    order_id: int
    attempt_id: str


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    order_id: int
    cancelled_by: str


@dataclass(frozen=True, slots=True)
class PaymentRequested:
    attempt_id: str
    order_id: int
    method: str
    amount: int


@dataclass(frozen=True, slots=True)
class PaymentIssued:
    attempt_id: str
    order_id: int
    gateway_reference: str


@dataclass(frozen=True, slots=True)
class PaymentSucceeded:
    attempt_id: str
    order_id: int
    method: str
    amount: int
    previous_status: str


@dataclass(frozen=True, slots=True)
class PaymentFailed:
    attempt_id: str
    order_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class PaymentExpired:
    attempt_id: str
    order_id: int


@dataclass(frozen=True, slots=True)
class PaymentCancelled:
    attempt_id: str
    order_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class PaymentAmountMismatch:
    """The gateway reports the attempt paid with another amount than the attempt's."""

    attempt_id: str
    order_id: int
    amount: int
    amount_received: int
    previous_status: str


@dataclass(frozen=True, slots=True)
class PaymentFlaggedForReview:
    """A payment was handed to staff; `reason` is a stable code (see application.review)."""

    attempt_id: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class PaymentReviewResolved:
    attempt_id: str
    resolved_by: str


@dataclass(frozen=True, slots=True)
class RefundRequired:
    attempt_id: str
    order_id: int
    amount: int
    reason: str


@dataclass(frozen=True, slots=True)
class RefundResolved:
    attempt_id: str
    order_id: int
    resolved_by: str


@dataclass(frozen=True, slots=True)
class ShiftOpened:
    shift_id: int
    staff_id: str
    opening_float: int


@dataclass(frozen=True, slots=True)
class ShiftClosed:
    """A shift closed with its counted cash; `forced` when an admin closed it for its owner."""

    shift_id: int
    staff_id: str
    expected_cash: int
    counted_cash: int
    difference: int
    forced: bool


@dataclass(frozen=True, slots=True)
class CashMovementRecorded:
    """A paid-in or paid-out (`kind`) of a shift's drawer."""

    shift_id: int
    kind: str
    amount: int
    staff_id: str


@dataclass(frozen=True, slots=True)
class RefundRequested:
    """A refund was asked for; `requested_by` is a staff id, or "system:..." for money kasir
    flagged itself (late money, another amount received)."""

    refund_id: int
    order_id: int
    amount: int
    method: str
    requested_by: str


@dataclass(frozen=True, slots=True)
class RefundApproved:
    refund_id: int
    order_id: int
    amount: int
    approved_by: str


@dataclass(frozen=True, slots=True)
class RefundRejected:
    refund_id: int
    order_id: int
    amount: int
    rejected_by: str


@dataclass(frozen=True, slots=True)
class RefundMade:
    """The money went back: cash out of `shift_id`'s drawer, or a QRIS refund made by hand
    (bank transfer or gateway dashboard) under `reference`."""

    refund_id: int
    order_id: int
    amount: int
    method: str
    shift_id: int | None
    reference: str | None


DomainEvent = (
    OrderPlaced
    | OrderPaid
    | OrderCancelled
    | PaymentRequested
    | PaymentIssued
    | PaymentSucceeded
    | PaymentFailed
    | PaymentExpired
    | PaymentCancelled
    | PaymentAmountMismatch
    | PaymentFlaggedForReview
    | PaymentReviewResolved
    | RefundRequired
    | RefundResolved
    | ShiftOpened
    | ShiftClosed
    | CashMovementRecorded
    | RefundRequested
    | RefundApproved
    | RefundRejected
    | RefundMade
)
