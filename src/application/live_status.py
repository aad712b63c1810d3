"""What the customer's screen shows about an order: one status, and the QR only while it is open.

The payment page, its polling fallback and the live status stream all show this same view, so
they can never disagree about whether a QR may be shown. Four statuses, the ones the page
carries in `<body data-status>`:

- `awaiting_payment`: the order awaits payment and no attempt has expired on the customer;
  the open attempt's QR is shown while it is pending and not past its expiry;
- `expired`: the order still awaits payment, but its latest QRIS attempt closed unpaid (or
  is past its expiry): the customer may ask for a new QR;
- `paid` (with the paying attempt's reference and time), `cancelled`: the order is settled.

`GetLiveStatus` also reads the order's committed outbox events after a sequence number, in the
same transaction, so a stream can resume from its client's `Last-Event-ID` and number its
messages by the order's own sequence.
"""

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from application.callers import Caller, require_order_access
from application.outbox import OutboxEvent
from application.ports import Clock, UnitOfWorkFactory
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentMethod, PaymentStatus


class LiveStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


SETTLED = frozenset({LiveStatus.PAID, LiveStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class OrderLiveView:
    order: Order
    status: LiveStatus
    showing: Payment | None  # the open attempt whose QR may be shown now, if any
    preparing: bool  # an attempt is being created at the gateway: its QR comes shortly
    paid_by: Payment | None  # the attempt that paid the order
    events: tuple[OutboxEvent, ...] = ()  # the order's events after the sequence asked for
    last_seq: int = 0  # the order's latest event number seen (the stream's event id)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    @property
    def may_request_qr(self) -> bool:
        """Whether the customer may ask for a (new) QR: nothing open or being prepared."""
        return (
            self.order.status is OrderStatus.AWAITING_PAYMENT
            and self.showing is None
            and not self.preparing
        )


def live_view(order: Order, payments: list[Payment], now: datetime) -> OrderLiveView:
    """The customer's view of `order` and its attempts at `now` (pure, no I/O)."""
    paid_by = next((p for p in payments if p.attempt_id == order.paid_by_attempt), None)
    if order.status is OrderStatus.PAID:
        return OrderLiveView(order, LiveStatus.PAID, None, False, paid_by)
    if order.status is OrderStatus.CANCELLED:
        return OrderLiveView(order, LiveStatus.CANCELLED, None, False, None)
    qris = [p for p in payments if p.method is PaymentMethod.QRIS]
    latest = max(qris, key=lambda p: (p.created_at, p.attempt_id), default=None)
    if latest is None:
        return OrderLiveView(order, LiveStatus.AWAITING_PAYMENT, None, False, None)
    if latest.status is PaymentStatus.CREATING:
        return OrderLiveView(order, LiveStatus.AWAITING_PAYMENT, None, True, None)
    if latest.shows_qr and not latest.is_overdue(now):
        return OrderLiveView(order, LiveStatus.AWAITING_PAYMENT, latest, False, None)
    return OrderLiveView(order, LiveStatus.EXPIRED, None, False, None)


@dataclass(frozen=True, slots=True)
class GetLiveStatus:
    """The customer's view of one order, read in one short read-only transaction (the stream
    re-reads it at each wake-up and holds no connection in between). Staff, the order's token
    holder, or the holder of a pass signed for the order; anybody else: NotFound."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, order_id: int, *, caller: Caller, after_seq: int = 0) -> OrderLiveView:
        """The view, with the order's committed events numbered above `after_seq`."""
        async with self.uow(read_only=True) as uow:
            order = require_order_access(caller, await uow.orders.get(order_id))
            payments = await uow.payments.list_for_order(order_id)
            events = tuple(await uow.outbox.for_order(order_id, after_seq))
        view = live_view(order, payments, self.clock.now())
        return replace(view, events=events, last_seq=events[-1].seq if events else after_seq)
