"""Payments: one attempt to pay one order, by QRIS through a gateway or in cash."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import AmountMismatch, InsufficientCash, InvalidTransition
from domain.events import (
    DomainEvent,
    PaymentAmountMismatch,
    PaymentCancelled,
    PaymentExpired,
    PaymentFailed,
    PaymentIssued,
    PaymentRequested,
    PaymentSucceeded,
    RefundRequired,
    RefundResolved,
)
from domain.money import rupiah
from domain.orders import Order

MAX_ATTEMPT_ID_LENGTH = 50  # the tightest gateway's limit (Duitku: 50)


class PaymentMethod(StrEnum):
    QRIS = "qris"
    CASH = "cash"


class PaymentStatus(StrEnum):
    CREATING = "creating"  # recorded; the gateway has not answered yet
    PENDING = "pending"  # QR issued, waiting for the customer
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ClosedReason(StrEnum):
    """Why an attempt was closed, when its status alone does not say it."""

    AMOUNT_MISMATCH = "amount_mismatch"  # the gateway reports another amount paid


OPEN_STATUSES = frozenset({PaymentStatus.CREATING, PaymentStatus.PENDING})
TERMINAL_STATUSES = frozenset(PaymentStatus) - OPEN_STATUSES


@dataclass(slots=True, kw_only=True)
class Payment:
    """One attempt to pay one order; `attempt_id` is the unguessable merchant order id
    (order_uid on the wire and in the database)."""

    attempt_id: str
    order_id: int
    method: PaymentMethod
    amount: int
    status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    # The name of the gateway that issued the attempt, opaque here (None for cash).
    gateway: str | None = None
    gateway_reference: str | None = None
    qr_string: str | None = None
    payment_url: str | None = None
    expires_at: datetime | None = None
    paid_at: datetime | None = None
    status_reason: str | None = None
    cash_tendered: int | None = None
    change_due: int | None = None
    taken_by: str | None = None
    refund_required_at: datetime | None = None
    refund_reason: str | None = None
    refund_resolved_at: datetime | None = None
    refund_resolved_by: str | None = None
    refund_note: str | None = None
    closed_reason: ClosedReason | None = None
    amount_received: int | None = None
    shift_id: int | None = None  # the cash drawer shift a cash payment went into
    version: int = 0
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def start_qris(
        cls, *, order: Order, attempt_id: str, now: datetime, gateway: str | None = None
    ) -> "Payment":
        """A QRIS attempt for the order total, recorded before `gateway` is asked for a QR."""
        order.ensure_payable()
        _check_attempt_id(attempt_id)
        payment = cls(
            attempt_id=attempt_id,
            order_id=order.key,
            method=PaymentMethod.QRIS,
            amount=rupiah(order.total),
            status=PaymentStatus.CREATING,
            created_at=now,
            updated_at=now,
            gateway=gateway,
        )
        payment.events.append(
            PaymentRequested(attempt_id, order.key, PaymentMethod.QRIS.value, payment.amount)
        )
        return payment

    @classmethod
    def take_cash(
        cls,
        *,
        order: Order,
        attempt_id: str,
        tendered: int,
        taken_by: str,
        shift_id: int,
        now: datetime,
    ) -> "Payment":
        """A cash payment of the order total into the drawer of `shift_id`, succeeded at once;
        records the change due."""
        order.ensure_payable()
        _check_attempt_id(attempt_id)
        tendered = rupiah(tendered, what="amount tendered")
        if tendered < order.total:
            raise InsufficientCash(f"tendered {tendered} is less than the total {order.total}")
        payment = cls(
            attempt_id=attempt_id,
            order_id=order.key,
            method=PaymentMethod.CASH,
            amount=order.total,
            status=PaymentStatus.SUCCEEDED,
            created_at=now,
            updated_at=now,
            paid_at=now,
            cash_tendered=tendered,
            change_due=tendered - order.total,
            taken_by=taken_by,
            shift_id=shift_id,
        )
        payment.events.append(
            PaymentRequested(attempt_id, order.key, PaymentMethod.CASH.value, payment.amount)
        )
        payment.events.append(
            PaymentSucceeded(attempt_id, order.key, PaymentMethod.CASH.value, payment.amount, "new")
        )
        return payment

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def shows_qr(self) -> bool:
        """Whether this attempt's QR (and the gateway's payment page) may still be shown.

        Only an open attempt's. The gateway cannot cancel a transaction: a QR that kasir closed
        (cash, cancel, failure, a newer attempt, a success) stays payable there until it
        expires, so showing it again could take the customer's money a second time.
        """
        return self.is_open and self.qr_string is not None

    @property
    def refund_open(self) -> bool:
        return self.refund_required_at is not None and self.refund_resolved_at is None

    @property
    def refund_amount(self) -> int | None:
        """The money to give back: what the gateway received, when a refund was required."""
        if self.refund_required_at is None:
            return None
        return self.amount_received if self.amount_received is not None else self.amount

    def is_overdue(self, now: datetime) -> bool:
        return (
            self.status is PaymentStatus.PENDING
            and self.expires_at is not None
            and (now >= self.expires_at)
        )

    def mark_issued(
        self,
        *,
        gateway_reference: str,
        qr_string: str,
        payment_url: str,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        """creating → pending: the gateway issued the QR the customer will scan."""
        self._require(PaymentStatus.CREATING, action="issue a QR for")
        self.status = PaymentStatus.PENDING
        self.gateway_reference = gateway_reference
        self.qr_string = qr_string
        self.payment_url = payment_url
        self.expires_at = expires_at
        self.updated_at = now
        self.events.append(PaymentIssued(self.attempt_id, self.order_id, gateway_reference))

    def fail(self, *, reason: str, now: datetime) -> None:
        """open → failed: the gateway refused the attempt or reports it failed."""
        self._require_open(action="fail")
        self._close(PaymentStatus.FAILED, reason, now)
        self.events.append(PaymentFailed(self.attempt_id, self.order_id, reason))

    def expire(self, *, now: datetime) -> None:
        """open → expired: the QR ran out and the gateway confirms nothing was paid."""
        self._require_open(action="expire")
        self._close(PaymentStatus.EXPIRED, "expired unpaid", now)
        self.events.append(PaymentExpired(self.attempt_id, self.order_id))

    def cancel(self, *, reason: str, now: datetime) -> None:
        """open → cancelled: paid another way, order cancelled, or abandoned before it was shown."""
        self._require_open(action="cancel")
        self._close(PaymentStatus.CANCELLED, reason, now)
        self.events.append(PaymentCancelled(self.attempt_id, self.order_id, reason))

    def confirm_success(
        self, *, amount: int, now: datetime, gateway_reference: str | None = None
    ) -> bool:
        """The gateway confirmed the money arrived. Returns False when it was already applied.

        The one transition out of a terminal state: money that really arrived is never dropped,
        so a failed, expired or cancelled QRIS attempt still becomes succeeded.
        """
        if self.method is not PaymentMethod.QRIS:
            raise InvalidTransition("only a gateway payment is confirmed by the gateway")
        if amount != self.amount:
            raise AmountMismatch(f"gateway amount {amount} differs from attempt {self.amount}")
        if self.status is PaymentStatus.SUCCEEDED:
            return False
        previous = self.status
        self.status = PaymentStatus.SUCCEEDED
        self.paid_at = now
        self.updated_at = now
        if gateway_reference and not self.gateway_reference:
            self.gateway_reference = gateway_reference
        self.events.append(
            PaymentSucceeded(
                self.attempt_id, self.order_id, self.method.value, self.amount, previous.value
            )
        )
        return True

    def close_amount_mismatch(self, *, amount_received: int, now: datetime) -> bool:
        """The gateway reports this attempt paid with another amount than the order's total.

        That money can never pay the order (it is paid only by its exact total), so the
        attempt closes as failed (a terminal attempt keeps its status), `closed_reason` and
        `amount_received` record what happened, and the money received is a refund to make.
        The order stays payable by a new attempt or cash. Returns False when it was already
        recorded. Raises InvalidTransition for a succeeded or cash payment, or a matching amount.
        """
        if self.method is not PaymentMethod.QRIS:
            raise InvalidTransition("only a gateway payment can receive another amount")
        amount_received = rupiah(amount_received, what="amount received")
        if amount_received == self.amount:
            raise InvalidTransition("the amount received matches the attempt")
        if self.status is PaymentStatus.SUCCEEDED:
            raise InvalidTransition(f"payment {self.attempt_id} already succeeded")
        if self.closed_reason is ClosedReason.AMOUNT_MISMATCH:
            return False
        previous = self.status
        reason = f"the gateway reports {amount_received} paid on an attempt of {self.amount}"
        if self.is_open:
            self._close(PaymentStatus.FAILED, reason, now)
        self.closed_reason = ClosedReason.AMOUNT_MISMATCH
        self.amount_received = amount_received
        self.refund_required_at = now
        self.refund_reason = reason
        self.updated_at = now
        self.events.append(
            PaymentAmountMismatch(
                self.attempt_id, self.order_id, self.amount, amount_received, previous.value
            )
        )
        self.events.append(RefundRequired(self.attempt_id, self.order_id, amount_received, reason))
        return True

    def require_refund(self, *, reason: str, now: datetime) -> None:
        """A success that cannot pay its order (already paid or cancelled) is money to give back."""
        self._require(PaymentStatus.SUCCEEDED, action="refund")
        if self.refund_required_at is not None:
            return
        self.refund_required_at = now
        self.refund_reason = reason
        self.updated_at = now
        self.events.append(RefundRequired(self.attempt_id, self.order_id, self.amount, reason))

    def resolve_refund(self, *, by: str, note: str, now: datetime) -> None:
        """A staff member gave the money back (or settled it otherwise) and says so."""
        if not self.refund_open:
            raise InvalidTransition(f"payment {self.attempt_id} has no open refund")
        self.refund_resolved_at = now
        self.refund_resolved_by = by
        self.refund_note = note
        self.updated_at = now
        self.events.append(RefundResolved(self.attempt_id, self.order_id, by))

    def _require(self, status: PaymentStatus, *, action: str) -> None:
        if self.status is not status:
            raise InvalidTransition(f"cannot {action} a {self.status.value} payment")

    def _require_open(self, *, action: str) -> None:
        if not self.is_open:
            raise InvalidTransition(f"cannot {action} a {self.status.value} payment")

    def _close(self, status: PaymentStatus, reason: str, now: datetime) -> None:
        self.status = status
        self.status_reason = reason
        self.updated_at = now


def _check_attempt_id(attempt_id: str) -> None:
    if not attempt_id or len(attempt_id) > MAX_ATTEMPT_ID_LENGTH:
        raise InvalidTransition(f"order_uid must be 1 to {MAX_ATTEMPT_ID_LENGTH} characters")
