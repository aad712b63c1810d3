"""The receipt of a paid order: what is printed on it, decided once for every format.

A receipt is for a paid order only (the use case answers 409 `order_not_paid` otherwise, so a
bill is never mistaken for proof of payment). Every receipt issued is counted: the first is
the original, every later one says it is a reprint. Times are shown in the restaurant's zone.
What a customer may not see stays off their copy: the cashier's name (staff names are for
staff views only, as everywhere in kasir) and any staff note. Approved refunds of the sale are
shown with the total that stays paid.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from domain.orders import Order
from domain.payments import Payment, PaymentMethod
from domain.refunds import Refund, RefundStatus


@dataclass(frozen=True, slots=True)
class Restaurant:
    """Who issues the receipts and where (settings RESTAURANT_NAME, RESTAURANT_ADDRESS,
    RESTAURANT_TIMEZONE)."""

    name: str
    address: str
    zone: tzinfo
    zone_name: str


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    name: str
    quantity: int
    unit_price: int
    amount: int


@dataclass(frozen=True, slots=True)
class ReceiptRefund:
    """Money of the order given back (an approved refund), when, and how."""

    amount: int
    method: PaymentMethod
    refunded_at: datetime  # local


@dataclass(frozen=True, slots=True)
class Receipt:
    """One issued copy of a paid order's receipt. Money in integer rupiah; times local."""

    restaurant: Restaurant
    order_id: int
    table_number: str | None
    lines: tuple[ReceiptLine, ...]
    total: int
    method: PaymentMethod
    paid_at: datetime
    printed_at: datetime
    print_number: int  # 1 is the original; later numbers are reprints
    tendered: int | None = None  # cash only
    change: int | None = None  # cash only
    gateway_reference: str | None = None  # QRIS only: the gateway's reference
    cashier: str | None = None  # staff copies only
    refunds: tuple[ReceiptRefund, ...] = ()  # approved refunds of the sale, oldest first

    @property
    def reprint(self) -> bool:
        return self.print_number > 1

    @property
    def refunded(self) -> int:
        return sum(refund.amount for refund in self.refunds)

    @property
    def net(self) -> int:
        """What the customer paid for the order and kept paid: the total less refunds."""
        return self.total - self.refunded


def receipt_of(
    order: Order,
    paid_by: Payment,
    refunds: Iterable[Refund] = (),
    *,
    restaurant: Restaurant,
    print_number: int,
    printed_at: datetime,
    for_staff: bool,
) -> Receipt:
    """The receipt of `order`, paid by the attempt `paid_by`, as its `print_number`th copy.

    Of `refunds` (the order's), the approved refunds of the sale are shown; a refund kasir
    flagged for money that did not pay the order (a QR paid after cash) is not part of the
    sale, so it is not on its receipt. Their reasons and notes are for staff, never shown."""
    zone = restaurant.zone
    cash = paid_by.method is PaymentMethod.CASH
    return Receipt(
        restaurant=restaurant,
        order_id=order.key,
        table_number=order.table_number,
        lines=tuple(
            ReceiptLine(line.name, line.quantity, line.unit_price, line.subtotal)
            for line in order.lines
        ),
        total=order.total,
        method=paid_by.method,
        paid_at=(paid_by.paid_at or order.paid_at or printed_at).astimezone(zone),
        printed_at=printed_at.astimezone(zone),
        print_number=print_number,
        tendered=paid_by.cash_tendered if cash else None,
        change=paid_by.change_due if cash else None,
        gateway_reference=None if cash else paid_by.gateway_reference,
        cashier=paid_by.taken_by if for_staff else None,
        refunds=tuple(
            sorted(
                (
                    ReceiptRefund(refund.amount, refund.method, refund.decided_at.astimezone(zone))
                    for refund in refunds
                    if refund.status is RefundStatus.APPROVED
                    and not refund.flagged
                    and refund.decided_at is not None
                ),
                key=lambda refund: refund.refunded_at,
            )
        ),
    )
