"""Refunds: money of a paid order given back, asked for by staff (or flagged by kasir itself)
and approved or rejected by an admin.

    requested ──approve──▶ approved (the money went back: cash out of a shift's drawer, or a
        │                  QRIS refund made by hand under a reference)
        └────reject───────▶ rejected

A refund reserves its amount against the order as soon as it is requested, so two requests at
once can never together pass what was paid; a rejection gives the reservation back. Nothing
leaves the drawer before the approval.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import (
    InvalidRefund,
    InvalidTransition,
    OrderNotRefundable,
    RefundExceedsPaid,
    RefundReferenceRequired,
)
from domain.events import (
    DomainEvent,
    RefundApproved,
    RefundMade,
    RefundRejected,
    RefundRequested,
)
from domain.money import rupiah
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentMethod
from domain.shifts import MAX_REASON_LENGTH, required_text

MAX_REFERENCE_LENGTH = 255
SYSTEM_REQUESTER = "system:kasir"  # who requests the refunds kasir flags itself


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


COUNTING_STATUSES = frozenset({RefundStatus.REQUESTED, RefundStatus.APPROVED})


@dataclass(frozen=True, slots=True)
class RefundLine:
    """`quantity` units of the order's line `line_no` (1-based, as on the receipt)."""

    line_no: int
    quantity: int


@dataclass(slots=True, kw_only=True)
class Refund:
    """Money of one order to give back, by the method the order was paid with.

    `payment_uid` names the payment the money came from. `flagged` marks the refunds kasir
    raised itself for money that could not pay its order (late money, another amount): their
    amount is that payment's, not part of what paid the order, so they reserve nothing on it.
    """

    id: int | None = None
    order_id: int
    payment_uid: str
    method: PaymentMethod
    amount: int
    lines: tuple[RefundLine, ...] = ()
    reason: str
    requested_by: str
    requested_by_name: str
    requested_at: datetime
    flagged: bool = False
    status: RefundStatus = RefundStatus.REQUESTED
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    shift_id: int | None = None  # the drawer a cash refund came out of
    reference: str | None = None  # the bank transfer or dashboard reference of a QRIS refund
    version: int = 0
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def request(
        cls,
        *,
        order: Order,
        paid_by: Payment,
        earlier: Sequence["Refund"],
        amount: int | None,
        lines: Sequence[RefundLine] | None,
        reason: str,
        requested_by: str,
        requested_by_name: str,
        now: datetime,
    ) -> "Refund":
        """A refund of a paid order, by amount or by lines (exactly one), reserved on the order.

        Raises OrderNotRefundable for an order that is not paid, InvalidRefund for a request
        with neither or both of amount and lines (or lines the order does not have, or more
        units than are left), ReasonRequired, and RefundExceedsPaid when the amount is above
        what was paid less the refunds already requested or approved.
        """
        if order.status is not OrderStatus.PAID or order.paid_by_attempt != paid_by.attempt_id:
            raise OrderNotRefundable(f"order {order.id} is {order.status.value}, not paid")
        reason = required_text(reason, what="reason", limit=MAX_REASON_LENGTH)
        refund_lines: tuple[RefundLine, ...] = ()
        if lines is not None and amount is None:
            refund_lines = _checked_lines(order, lines, earlier)
            amount = sum(
                order.lines[line.line_no - 1].unit_price * line.quantity for line in refund_lines
            )
        elif lines is not None or amount is None:
            raise InvalidRefund("give either an amount or lines, not both")
        amount = rupiah(amount, what="refund amount")
        if amount == 0:
            raise InvalidRefund("a refund gives back more than 0")
        order.reserve_refund(amount)
        return cls(
            order_id=order.key,
            payment_uid=paid_by.attempt_id,
            method=paid_by.method,
            amount=amount,
            lines=refund_lines,
            reason=reason,
            requested_by=requested_by,
            requested_by_name=requested_by_name,
            requested_at=now,
        )

    @classmethod
    def flagged_by_kasir(cls, *, payment: Payment, now: datetime) -> "Refund":
        """The refund request for money kasir flagged itself (`Payment.require_refund`)."""
        amount = payment.refund_amount
        if amount is None:
            raise InvalidTransition(f"payment {payment.attempt_id} owes no refund")
        return cls(
            order_id=payment.order_id,
            payment_uid=payment.attempt_id,
            method=payment.method,
            amount=amount,
            reason=payment.refund_reason or "money kasir could not use for its order",
            requested_by=SYSTEM_REQUESTER,
            requested_by_name="kasir",
            requested_at=now,
            flagged=True,
        )

    @property
    def key(self) -> int:
        if self.id is None:
            raise InvalidTransition("refund has not been stored yet")
        return self.id

    def assign_id(self, refund_id: int) -> None:
        """Called once by the repository that stores the refund; records the request."""
        if self.id is not None:
            raise InvalidTransition("refund already has an id")
        self.id = refund_id
        self.events.append(
            RefundRequested(
                refund_id, self.order_id, self.amount, self.method.value, self.requested_by
            )
        )

    @property
    def counts_against_order(self) -> bool:
        """Requested and approved refunds count against what may still be refunded."""
        return not self.flagged and self.status in COUNTING_STATUSES

    @property
    def is_pending(self) -> bool:
        return self.status is RefundStatus.REQUESTED

    def approve(
        self,
        *,
        by: str,
        by_name: str,
        now: datetime,
        shift_id: int | None = None,
        reference: str | None = None,
    ) -> None:
        """requested → approved, and the money is out: a cash refund from `shift_id`'s drawer
        (the caller takes it out of that shift in the same transaction), a QRIS refund made by
        hand under `reference`."""
        self._require_pending("approve")
        if self.method is PaymentMethod.CASH:
            if shift_id is None:
                raise InvalidTransition("a cash refund comes out of an open shift")
            self.shift_id = shift_id
        else:
            self.reference = _reference(reference)
        self.status = RefundStatus.APPROVED
        self.decided_by, self.decided_by_name, self.decided_at = by, by_name, now
        self.events.append(RefundApproved(self.key, self.order_id, self.amount, by))
        self.events.append(
            RefundMade(
                self.key,
                self.order_id,
                self.amount,
                self.method.value,
                self.shift_id,
                self.reference,
            )
        )

    def reject(self, *, by: str, by_name: str, note: str | None, now: datetime) -> None:
        """requested → rejected; the caller releases the reservation on the order."""
        self._require_pending("reject")
        self.status = RefundStatus.REJECTED
        self.decided_by, self.decided_by_name, self.decided_at = by, by_name, now
        self.decision_note = note
        self.events.append(RefundRejected(self.key, self.order_id, self.amount, by))

    def _require_pending(self, action: str) -> None:
        if not self.is_pending:
            raise InvalidTransition(f"cannot {action} a {self.status.value} refund")


def _reference(reference: str | None) -> str:
    stripped = reference.strip() if reference else ""
    if not stripped:
        raise RefundReferenceRequired(
            "a QRIS refund is made by hand: give the bank transfer or dashboard reference"
        )
    if len(stripped) > MAX_REFERENCE_LENGTH:
        raise InvalidRefund(f"the reference has at most {MAX_REFERENCE_LENGTH} characters")
    return stripped


def refunded_quantities(refunds: Iterable[Refund]) -> dict[int, int]:
    """Units refunded so far per line number, by the refunds that still count."""
    done: dict[int, int] = {}
    for refund in refunds:
        if refund.counts_against_order:
            for line in refund.lines:
                done[line.line_no] = done.get(line.line_no, 0) + line.quantity
    return done


def _checked_lines(
    order: Order, lines: Sequence[RefundLine], earlier: Sequence[Refund]
) -> tuple[RefundLine, ...]:
    if not lines:
        raise InvalidRefund("a refund by lines names at least one line")
    wanted: dict[int, int] = {}
    for line in lines:
        if not 1 <= line.line_no <= len(order.lines):
            raise InvalidRefund(f"order {order.id} has no line {line.line_no}")
        if line.quantity < 1:
            raise InvalidRefund("a refunded quantity is at least 1")
        wanted[line.line_no] = wanted.get(line.line_no, 0) + line.quantity
    done = refunded_quantities(earlier)
    for line_no, quantity in wanted.items():
        left = order.lines[line_no - 1].quantity - done.get(line_no, 0)
        if quantity > left:
            raise RefundExceedsPaid(f"line {line_no} has {left} units left to refund")
    return tuple(RefundLine(line_no, quantity) for line_no, quantity in sorted(wanted.items()))
