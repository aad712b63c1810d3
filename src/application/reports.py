"""What the day report and the staff order list read: the read side of orders and money.

The day report is cash-basis: it counts money when it moved. `gross` is every rupiah received
in the day (each succeeded payment by its `paid_at`, and money a QR was paid with in another
amount than asked, by when kasir learned it), whether it paid an order or must be given back;
`refunded` is money given back in the day (refunds approved in the day, and flags staff
resolved before refund requests existed); `net = gross - refunded`. So a QR paid after its
order was paid in cash shows once in gross and, the day it is given back, once in refunded.
Per shift: the cash paid into each drawer and refunded out of it. Money is integer rupiah.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from application.errors import InvalidQuery
from domain.orders import OrderStatus
from domain.payments import PaymentMethod


@dataclass(frozen=True, slots=True)
class OrderCounts:
    """Orders placed, paid and cancelled within the day (each by its own time)."""

    placed: int = 0
    paid: int = 0
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class MoneyTotals:
    """Money received and given back by one payment method (or by all of them)."""

    payments: int = 0  # how many payments brought money in
    gross: int = 0
    refunds: int = 0  # how many refunds gave money back
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunded

    def __add__(self, other: "MoneyTotals") -> "MoneyTotals":
        return MoneyTotals(
            payments=self.payments + other.payments,
            gross=self.gross + other.gross,
            refunds=self.refunds + other.refunds,
            refunded=self.refunded + other.refunded,
        )


@dataclass(frozen=True, slots=True)
class ShiftTotals:
    """One cash drawer shift that was open during the range, and the cash that went through
    it within the range: cash payments into it, cash refunds out of it."""

    shift_id: int
    staff_id: str
    staff_name: str
    opened_at: datetime
    closed_at: datetime | None
    cash: MoneyTotals


@dataclass(frozen=True, slots=True)
class DayTotals:
    """What the report queries answer for one `[start, end)` range of instants."""

    orders: OrderCounts
    by_method: dict[PaymentMethod, MoneyTotals]
    shifts: tuple[ShiftTotals, ...] = ()  # by when they opened, then id

    def method(self, method: PaymentMethod) -> MoneyTotals:
        return self.by_method.get(method, MoneyTotals())

    @property
    def total(self) -> MoneyTotals:
        return sum((self.method(m) for m in PaymentMethod), MoneyTotals())


@dataclass(frozen=True, slots=True)
class DayReport:
    """The day report: a local date in the restaurant's zone and its totals."""

    day: date
    time_zone: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    totals: DayTotals


@dataclass(frozen=True, slots=True)
class OrderCursor:
    """Where a page of the order list ended: the last order's (placed_at, id). The list is
    sorted by (placed_at, id) descending, a total order, so pages never skip or repeat."""

    placed_at: datetime
    order_id: int


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders the staff list shows; every given condition must hold.

    `method` and `cashier` look at the payment that paid the order (so only paid orders
    match): its method, and the staff member (`Staff.staff_id`) whose shift's drawer the cash
    went into.
    `placed_from`/`placed_before` bound `placed_at` as `[from, before)` in UTC. `before_id`
    keeps the list's older paging (orders with a smaller id) working.
    """

    status: OrderStatus | None = None
    method: PaymentMethod | None = None
    placed_from: datetime | None = None
    placed_before: datetime | None = None
    table_number: str | None = None
    cashier: str | None = None
    before_id: int | None = None
    after: OrderCursor | None = None


def encode_cursor(cursor: OrderCursor) -> str:
    """The cursor as an opaque string for clients (they only hand it back)."""
    raw = json.dumps([cursor.placed_at.astimezone(UTC).isoformat(), cursor.order_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> OrderCursor:
    """The cursor a client handed back; InvalidQuery when it is not one kasir made."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        placed_at, order_id = json.loads(raw)
        at = datetime.fromisoformat(placed_at)
        if (
            isinstance(order_id, bool)
            or not isinstance(order_id, int)
            or order_id < 1
            or at.utcoffset() != timedelta(0)
        ):
            raise ValueError("not a cursor")
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise InvalidQuery("the cursor is not one this list handed out") from None
    return OrderCursor(placed_at=at, order_id=order_id)
