"""Orders: what a table ordered, its total, and whether it still awaits payment."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import (
    InvalidOrder,
    InvalidTransition,
    OrderNotPayable,
    OrderNotRefundable,
    RefundExceedsPaid,
)
from domain.events import DomainEvent, OrderCancelled, OrderPaid, OrderPlaced
from domain.menu import MenuItem
from domain.money import MAX_RUPIAH, rupiah

MAX_QUANTITY = 99
MAX_LINES = 100


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One menu item at the name and unit price it had when the order was placed."""

    menu_item_id: int
    name: str
    unit_price: int
    quantity: int

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity


@dataclass(slots=True, kw_only=True)
class Order:
    """An order of one table or customer. `id` is given by the order repository when stored."""

    id: int | None = None
    lines: tuple[OrderLine, ...]
    status: OrderStatus = OrderStatus.AWAITING_PAYMENT
    table_number: str | None = None
    customer_name: str | None = None
    access_token_hash: str
    placed_at: datetime
    paid_at: datetime | None = None
    paid_by_attempt: str | None = None  # the id of the attempt that paid it (column paid_by)
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    # What requested and approved refunds reserve of the total paid (column refund_reserved,
    # CHECK 0 <= refund_reserved <= total): never more than was paid goes back.
    refund_reserved: int = 0
    version: int = 0
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def place(
        cls,
        *,
        items: list[tuple[MenuItem, int]],
        access_token_hash: str,
        now: datetime,
        table_number: str | None = None,
        customer_name: str | None = None,
    ) -> "Order":
        """Place an order; menu names and prices are copied so later menu edits don't alter it."""
        if not items:
            raise InvalidOrder("an order needs at least one item")
        if len(items) > MAX_LINES:
            raise InvalidOrder(f"an order has at most {MAX_LINES} lines")
        lines: list[OrderLine] = []
        for item, quantity in items:
            if item.id is None:
                raise InvalidOrder("menu item is not stored")
            if not item.available:
                raise InvalidOrder(f"menu item {item.id} is not available")
            if (
                isinstance(quantity, bool)
                or not isinstance(quantity, int)
                or not 1 <= quantity <= MAX_QUANTITY
            ):
                raise InvalidOrder(f"quantity must be between 1 and {MAX_QUANTITY}")
            lines.append(OrderLine(item.id, item.name, item.price, quantity))
        order = cls(
            lines=tuple(lines),
            access_token_hash=access_token_hash,
            placed_at=now,
            table_number=table_number,
            customer_name=customer_name,
        )
        if order.total > MAX_RUPIAH:
            raise InvalidOrder("order total is too large")
        return order

    @property
    def total(self) -> int:
        """The amount to pay: the sum of the lines, computed here and never taken from a client."""
        return sum(line.subtotal for line in self.lines)

    @property
    def key(self) -> int:
        """The stored id; an order that was never stored has none."""
        if self.id is None:
            raise InvalidTransition("order has not been stored yet")
        return self.id

    def assign_id(self, order_id: int) -> None:
        """Called once by the repository that stores the order; records that it was placed."""
        if self.id is not None:
            raise InvalidTransition("order already has an id")
        self.id = order_id
        self.events.append(OrderPlaced(order_id=order_id, total=rupiah(self.total)))

    @property
    def awaits_payment(self) -> bool:
        return self.status is OrderStatus.AWAITING_PAYMENT

    def ensure_payable(self) -> None:
        """Only an order that still awaits payment takes a new payment."""
        if not self.awaits_payment:
            raise OrderNotPayable(f"order {self.id} is {self.status.value}")

    def mark_paid(self, *, attempt_id: str, now: datetime) -> None:
        """awaiting_payment → paid, by the payment attempt `attempt_id`."""
        self.ensure_payable()
        order_id = self.key
        self.status = OrderStatus.PAID
        self.paid_at = now
        self.paid_by_attempt = attempt_id
        self.events.append(OrderPaid(order_id=order_id, attempt_id=attempt_id))

    def cancel(self, *, by: str, now: datetime, reason: str | None = None) -> None:
        """awaiting_payment → cancelled (voided) by a staff member, with the reason they gave;
        a paid order is never cancelled (it is refunded instead)."""
        if not self.awaits_payment:
            raise InvalidTransition(
                f"order {self.id} is {self.status.value} and cannot be cancelled"
            )
        order_id = self.key
        self.status = OrderStatus.CANCELLED
        self.cancelled_at = now
        self.cancelled_by = by
        self.cancel_reason = reason
        self.events.append(OrderCancelled(order_id=order_id, cancelled_by=by))

    @property
    def refundable(self) -> int:
        """What may still be refunded: the total paid less requested and approved refunds."""
        if self.status is not OrderStatus.PAID:
            return 0
        return self.total - self.refund_reserved

    def reserve_refund(self, amount: int) -> None:
        """Reserve `amount` of the paid total for a refund request (requested or approved)."""
        if self.status is not OrderStatus.PAID:
            raise OrderNotRefundable(f"order {self.id} is {self.status.value}, not paid")
        if amount <= 0:
            raise InvalidTransition("a refund reserves more than 0")
        if amount > self.refundable:
            raise RefundExceedsPaid(
                f"a refund of {amount} is above the {self.refundable} left to refund"
            )
        self.refund_reserved += amount

    def release_refund(self, amount: int) -> None:
        """A rejected refund gives its reservation back."""
        if not 0 < amount <= self.refund_reserved:
            raise InvalidTransition("only a reserved refund is released")
        self.refund_reserved -= amount
