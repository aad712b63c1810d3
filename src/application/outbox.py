"""The transactional outbox: what an order's state changes look like once they leave kasir.

A unit of work turns the domain events its aggregates recorded into outbox events and writes
them in its own transaction, just before it commits (`OutboxWriter.append`), so an event
exists exactly when the change it describes was committed. Each event of an order carries
the next number of that order's sequence (1, 2, 3, ... with no gap and no repeat); the
webhook feed and the customer's live status both read them from there.

The dotted type of each domain event and the payload every receiver gets are defined here,
once (docs/events.md shows them as JSON schemas). A payload never carries a secret, a token,
the QR itself, a staff name or a staff note.
"""

import builtins
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from domain.events import (
    CashMovementRecorded,
    DomainEvent,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    PaymentAmountMismatch,
    PaymentCancelled,
    PaymentExpired,
    PaymentFailed,
    PaymentFlaggedForReview,
    PaymentIssued,
    PaymentRequested,
    PaymentReviewResolved,
    PaymentSucceeded,
    RefundApproved,
    RefundMade,
    RefundRejected,
    RefundRequested,
    RefundRequired,
    RefundResolved,
    ShiftClosed,
    ShiftOpened,
)
from domain.orders import Order
from domain.payments import Payment

# The dotted type of every domain event that leaves kasir.
EVENT_TYPES: dict[type[Any], str] = {
    OrderPlaced: "order.placed",
    OrderPaid: "order.paid",
    OrderCancelled: "order.cancelled",
    PaymentRequested: "payment.created",
    PaymentIssued: "payment.qr_issued",
    PaymentSucceeded: "payment.succeeded",
    PaymentFailed: "payment.failed",
    PaymentExpired: "payment.expired",
    PaymentCancelled: "payment.cancelled",
    PaymentAmountMismatch: "payment.amount_mismatch",
    RefundRequired: "payment.refund_required",
    RefundResolved: "payment.refund_resolved",
    RefundRequested: "refund.requested",
    RefundApproved: "refund.approved",
    RefundRejected: "refund.rejected",
    RefundMade: "refund.made",
}
# The refund workflow's step each refund event records (the payload's `refund.status`).
_REFUND_STEPS: dict[type[Any], str] = {
    RefundRequested: "requested",
    RefundApproved: "approved",
    RefundRejected: "rejected",
    RefundMade: "made",
}
# Events for staff only: they stay inside kasir (the review queue is not the ordering
# system's business, and their details name staff and gateway disputes). The cash drawer is
# staff business too (docs/drawer.md): its events reach the in-process publisher (logs,
# metrics), not the webhook feed. A refund's steps do leave, without who asked or decided.
STAFF_ONLY_EVENTS: frozenset[type[Any]] = frozenset(
    {
        PaymentFlaggedForReview,
        PaymentReviewResolved,
        ShiftOpened,
        ShiftClosed,
        CashMovementRecorded,
    }
)
ALL_EVENT_TYPES: tuple[str, ...] = tuple(sorted(set(EVENT_TYPES.values())))


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One committed event. `position` orders the whole outbox (a cursor), `seq` the order's
    own events; `id` (`evt_...`) is the public id, the `webhook-id` of every delivery."""

    position: int
    id: str
    order_id: int
    seq: int
    type: str
    payload: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxDraft:
    """An event about to be written: everything but the order's sequence number, which the
    writer assigns inside the transaction (`payload_with(seq)` then completes the payload)."""

    id: str
    order_id: int
    type: str
    occurred_at: datetime
    order: dict[str, Any]
    payment: dict[str, Any] | None
    refund: dict[str, Any] | None = None

    def payload_with(self, seq: int) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "occurred_at": _instant(self.occurred_at),
            "seq": seq,
            "order": self.order,
        }
        if self.payment is not None:
            payload["payment"] = self.payment
        if self.refund is not None:
            payload["refund"] = self.refund
        return payload


class OutboxWriter(Protocol):
    """The outbox as seen from a unit of work (`uow.outbox`)."""

    async def append(self, drafts: Sequence[OutboxDraft]) -> builtins.list[OutboxEvent]:
        """Write the drafts in the current transaction, numbering each order's events on from
        its last number (safe against concurrent writers of the same order: no gap, no
        repeat), and queue one delivery per webhook subscription that takes its type."""
        ...

    async def for_order(self, order_id: int, after_seq: int = 0) -> builtins.list[OutboxEvent]:
        """The order's committed events with a number above `after_seq`, in order (a stream's
        `Last-Event-ID` resume)."""
        ...

    async def order_view(self, order_id: int) -> dict[str, Any] | None:
        """`order_view` of a stored order, read narrowly (no lines, no token) for a payload
        about an order this transaction did not load."""
        ...


def event_type(event: DomainEvent) -> str | None:
    """The dotted type of an event that leaves kasir; None for a staff-only one."""
    return EVENT_TYPES.get(type(event))


def order_view(order: Order) -> dict[str, Any]:
    """What every payload says about the order (never its token, customer name or staff)."""
    return {
        "id": order.key,
        "status": order.status.value,
        "total": order.total,
        "table_number": order.table_number,
    }


def payment_ref(attempt_id: str) -> str:
    """The attempt's id in payloads: `pay_` and 20 hex characters of the SHA-256 of its
    order_uid. The order_uid itself is a capability (it reads the payment and its QR), so it
    never leaves in an event; whoever holds it can compute this id to match them."""
    return "pay_" + hashlib.sha256(attempt_id.encode()).hexdigest()[:20]


def payment_view(payment: Payment) -> dict[str, Any]:
    """What a payload says about one payment attempt: its state and money, never its
    order_uid (a capability), the QR, the payment URL, who took the cash or a staff note."""
    return {
        "id": payment_ref(payment.attempt_id),
        "method": payment.method.value,
        "status": payment.status.value,
        "amount": payment.amount,
        "gateway": payment.gateway,
        "reference": payment.gateway_reference,
        "expires_at": _instant(payment.expires_at),
        "paid_at": _instant(payment.paid_at),
        "closed_reason": None if payment.closed_reason is None else payment.closed_reason.value,
        "amount_received": payment.amount_received,
        "refund_required": payment.refund_required_at is not None,
        "refund_resolved": payment.refund_resolved_at is not None,
    }


def refund_view(event: DomainEvent) -> dict[str, Any] | None:
    """What a payload says about a refund, for the refund workflow's events: its id, amount,
    step, and method where the event knows it; never who asked or decided, the reason or the
    bank reference."""
    if not isinstance(event, RefundRequested | RefundApproved | RefundRejected | RefundMade):
        return None
    method = event.method if isinstance(event, RefundRequested | RefundMade) else None
    return {
        "id": event.refund_id,
        "amount": event.amount,
        "status": _REFUND_STEPS[type(event)],
        "method": method,
    }


def _payment_uid(event: DomainEvent) -> str | None:
    uid = getattr(event, "attempt_id", None)
    return uid if isinstance(uid, str) else None


async def drafts_for(
    events: Sequence[tuple[DomainEvent, Order | Payment | None]],
    *,
    now: datetime,
    new_id: Callable[[], str],
    describe_order: Callable[[int], Awaitable[dict[str, Any] | None]],
    get_payment: Callable[[str], Awaitable[Payment | None]],
) -> builtins.list[OutboxDraft]:
    """The drafts of the events a unit of work is about to commit, in the order recorded.

    Each payload shows the order (and the payment concerned) as this transaction leaves it:
    the aggregates stored in the unit of work first, else `describe_order` (the order's
    `order_view`, read in the transaction) and `get_payment`.
    """
    orders: dict[int, dict[str, Any]] = {}
    payments: dict[str, Payment] = {}
    for _, source in events:
        if isinstance(source, Order) and source.id is not None:
            orders[source.id] = order_view(source)
        elif isinstance(source, Payment):
            payments[source.attempt_id] = source
    drafts: builtins.list[OutboxDraft] = []
    for event, _ in events:
        kind = event_type(event)
        order_id = getattr(event, "order_id", None)
        if kind is None or not isinstance(order_id, int):
            continue
        order = orders.get(order_id) or await describe_order(order_id)
        if order is None:
            # Events are about stored orders (a foreign key says so): never drop one quietly.
            raise LookupError(f"event {kind} names order {order_id}, which is not stored")
        orders[order_id] = order
        payment: Payment | None = None
        uid = _payment_uid(event)
        if uid is not None:
            payment = payments.get(uid) or await get_payment(uid)
            if payment is not None:
                payments[uid] = payment
        drafts.append(
            OutboxDraft(
                id=new_id(),
                order_id=order_id,
                type=kind,
                occurred_at=now,
                order=order,
                payment=None if payment is None else payment_view(payment),
                refund=refund_view(event),
            )
        )
    return drafts


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
