"""The day report and receipt schemas (JSON), and the day report's CSV for the accountant."""

import csv
import io
from datetime import date, datetime
from typing import Annotated

import msgspec

from application.receipts import Receipt
from application.reports import DayReport, MoneyTotals, ShiftTotals
from domain.payments import PaymentMethod

Count = Annotated[int, msgspec.Meta(ge=0, description="how many")]
Money = Annotated[int, msgspec.Meta(description="whole rupiah")]


class OrderCountsResponse(msgspec.Struct, kw_only=True):
    """Orders of the day, each counted by its own time: placed, paid, cancelled."""

    placed: Count
    paid: Count
    cancelled: Count


class MoneyResponse(msgspec.Struct, kw_only=True):
    """Money of one payment method (or `all`): received (gross), given back, and net."""

    method: Annotated[str, msgspec.Meta(description="cash, qris, or all")]
    payments: Annotated[int, msgspec.Meta(ge=0, description="payments that brought money in")]
    gross: Annotated[int, msgspec.Meta(description="whole rupiah received")]
    refunds: Annotated[int, msgspec.Meta(ge=0, description="refunds that gave money back")]
    refunded: Annotated[int, msgspec.Meta(description="whole rupiah given back")]
    net: Annotated[int, msgspec.Meta(description="gross - refunded, whole rupiah")]

    @classmethod
    def of(cls, method: str, totals: MoneyTotals) -> "MoneyResponse":
        return cls(
            method=method,
            payments=totals.payments,
            gross=totals.gross,
            refunds=totals.refunds,
            refunded=totals.refunded,
            net=totals.net,
        )


class ShiftMoneyResponse(msgspec.Struct, kw_only=True):
    """One cash drawer shift open during the day, and the cash through it within the day."""

    shift_id: int
    staff_id: Annotated[str, msgspec.Meta(description="the cashier's stable id")]
    cashier: Annotated[str, msgspec.Meta(description="the cashier's name")]
    opened_at: datetime
    closed_at: Annotated[datetime | None, msgspec.Meta(description="null while open")]
    cash: MoneyResponse

    @classmethod
    def of(cls, shift: ShiftTotals) -> "ShiftMoneyResponse":
        return cls(
            shift_id=shift.shift_id,
            staff_id=shift.staff_id,
            cashier=shift.staff_name,
            opened_at=shift.opened_at,
            closed_at=shift.closed_at,
            cash=MoneyResponse.of(PaymentMethod.CASH.value, shift.cash),
        )


class DayReportResponse(msgspec.Struct, kw_only=True):
    """A local date's orders and money (docs/reports.md says what each figure counts)."""

    date: date
    time_zone: Annotated[str, msgspec.Meta(description="the restaurant's IANA time zone")]
    starts_at: Annotated[datetime, msgspec.Meta(description="00:00 local time, in UTC")]
    ends_at: Annotated[datetime, msgspec.Meta(description="24:00 local time, in UTC (exclusive)")]
    orders: OrderCountsResponse
    total: MoneyResponse
    by_method: list[MoneyResponse]
    shifts: Annotated[
        list[ShiftMoneyResponse],
        msgspec.Meta(description="every cash drawer shift open during the day, by opening"),
    ]

    @classmethod
    def of(cls, report: DayReport) -> "DayReportResponse":
        totals = report.totals
        return cls(
            date=report.day,
            time_zone=report.time_zone,
            starts_at=report.start,
            ends_at=report.end,
            orders=OrderCountsResponse(
                placed=totals.orders.placed,
                paid=totals.orders.paid,
                cancelled=totals.orders.cancelled,
            ),
            total=MoneyResponse.of("all", totals.total),
            by_method=[MoneyResponse.of(m.value, totals.method(m)) for m in PaymentMethod],
            shifts=[ShiftMoneyResponse.of(shift) for shift in totals.shifts],
        )


# The CSV's columns, in this order, forever (docs/reports.md); new ones only ever go last.
CSV_COLUMNS = (
    "date",
    "time_zone",
    "scope",
    "method",
    "shift_id",
    "cashier",
    "payments",
    "gross",
    "refunds",
    "refunded",
    "net",
    "orders_placed",
    "orders_paid",
    "orders_cancelled",
)


def day_report_csv(report: DayReport) -> str:
    """One header line; a `method` row per payment method, the `day` row (all methods, with
    the order counts), then a `shift` row per drawer shift (its cash). Money in whole rupiah
    without separators; dates ISO; CRLF line ends (RFC 4180)."""
    body = DayReportResponse.of(report)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    day = (body.date.isoformat(), body.time_zone)
    for money in body.by_method:
        writer.writerow([*day, "method", money.method, "", "", *_money(money), "", "", ""])
    counts = body.orders
    writer.writerow(
        [
            *day,
            "day",
            body.total.method,
            "",
            "",
            *_money(body.total),
            counts.placed,
            counts.paid,
            counts.cancelled,
        ]
    )
    for shift in body.shifts:
        writer.writerow(
            [*day, "shift", "cash", shift.shift_id, shift.cashier, *_money(shift.cash), "", "", ""]
        )
    return out.getvalue()


def _money(money: MoneyResponse) -> tuple[int, int, int, int, int]:
    return (money.payments, money.gross, money.refunds, money.refunded, money.net)


class ReceiptLineResponse(msgspec.Struct, kw_only=True):
    name: str
    quantity: int
    unit_price: Money
    amount: Money


class ReceiptRefundResponse(msgspec.Struct, kw_only=True):
    """An approved refund of the sale (never its reason or staff notes)."""

    amount: Money
    method: str
    refunded_at: Annotated[datetime, msgspec.Meta(description="local time")]


class ReceiptResponse(msgspec.Struct, kw_only=True):
    """One issued copy of a paid order's receipt; times in the restaurant's zone."""

    restaurant_name: str
    restaurant_address: str
    order_id: int
    table_number: str | None
    lines: list[ReceiptLineResponse]
    total: Money
    payment_method: str
    paid_at: Annotated[datetime, msgspec.Meta(description="local time with its UTC offset")]
    printed_at: Annotated[datetime, msgspec.Meta(description="when this copy was issued")]
    print_number: Annotated[int, msgspec.Meta(ge=1, description="1 is the original")]
    reprint: Annotated[bool, msgspec.Meta(description="true from the second copy on")]
    amount_tendered: Money | None = None
    change: Money | None = None
    gateway_reference: str | None = None
    cashier: Annotated[str | None, msgspec.Meta(description="staff copies only")] = None
    refunds: list[ReceiptRefundResponse] = msgspec.field(default_factory=list)
    refunded: Annotated[int, msgspec.Meta(description="whole rupiah given back")] = 0
    net: Annotated[int, msgspec.Meta(description="total - refunded, whole rupiah")] = 0

    @classmethod
    def of(cls, receipt: Receipt) -> "ReceiptResponse":
        return cls(
            restaurant_name=receipt.restaurant.name,
            restaurant_address=receipt.restaurant.address,
            order_id=receipt.order_id,
            table_number=receipt.table_number,
            lines=[
                ReceiptLineResponse(
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    amount=line.amount,
                )
                for line in receipt.lines
            ],
            total=receipt.total,
            payment_method=receipt.method.value,
            paid_at=receipt.paid_at,
            printed_at=receipt.printed_at,
            print_number=receipt.print_number,
            reprint=receipt.reprint,
            amount_tendered=receipt.tendered,
            change=receipt.change,
            gateway_reference=receipt.gateway_reference,
            cashier=receipt.cashier,
            refunds=[
                ReceiptRefundResponse(
                    amount=refund.amount,
                    method=refund.method.value,
                    refunded_at=refund.refunded_at,
                )
                for refund in receipt.refunds
            ],
            refunded=receipt.refunded,
            net=receipt.net,
        )
