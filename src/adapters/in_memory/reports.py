"""The day report's figures and the receipt print counts over an InMemoryStore, with the SQL
adapters' rules (application.ports.ReportQueries and ReceiptPrints), for unit tests."""

from collections.abc import Iterable
from datetime import datetime

from adapters.in_memory.store import InMemoryStore
from application.reports import DayTotals, MoneyTotals, OrderCounts
from domain.payments import ClosedReason, Payment, PaymentMethod, PaymentStatus


def _within(at: datetime | None, start: datetime, end: datetime) -> bool:
    return at is not None and start <= at < end


def _money(payments: Iterable[Payment], start: datetime, end: datetime) -> MoneyTotals:
    totals = MoneyTotals()
    for p in payments:
        if p.status is PaymentStatus.SUCCEEDED and _within(p.paid_at, start, end):
            totals += MoneyTotals(payments=1, gross=p.amount)
        if p.closed_reason is ClosedReason.AMOUNT_MISMATCH and _within(
            p.refund_required_at, start, end
        ):
            totals += MoneyTotals(payments=1, gross=p.amount_received or 0)
        if p.refund_required_at is not None and _within(p.refund_resolved_at, start, end):
            totals += MoneyTotals(refunds=1, refunded=p.refund_amount or 0)
    return totals


class InMemoryReportQueries:
    """Report figures computed from the store's committed orders and payments."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def day_totals(self, *, start: datetime, end: datetime) -> DayTotals:
        orders = self._store.orders.values()
        counts = OrderCounts(
            placed=sum(_within(o.placed_at, start, end) for o in orders),
            paid=sum(_within(o.paid_at, start, end) for o in orders),
            cancelled=sum(_within(o.cancelled_at, start, end) for o in orders),
        )
        payments = list(self._store.payments.values())
        by_method = {
            method: totals
            for method in PaymentMethod
            if (totals := _money((p for p in payments if p.method is method), start, end))
            != MoneyTotals()
        }
        return DayTotals(orders=counts, by_method=by_method)


class InMemoryReceiptPrints:
    """Receipt print counts per order; each call is atomic on one event loop."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    async def record_print(self, order_id: int, *, now: datetime) -> int:
        self.counts[order_id] = self.counts.get(order_id, 0) + 1
        return self.counts[order_id]
