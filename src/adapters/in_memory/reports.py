"""The day report's figures and the receipt print counts over an InMemoryStore, with the SQL
adapters' rules (application.ports.ReportQueries and ReceiptPrints), for unit tests."""

from collections.abc import Iterable
from datetime import datetime

from adapters.in_memory.store import InMemoryStore
from application.reports import DayTotals, MoneyTotals, OrderCounts, ShiftTotals
from domain.payments import ClosedReason, Payment, PaymentMethod, PaymentStatus
from domain.refunds import Refund, RefundStatus


def _within(at: datetime | None, start: datetime, end: datetime) -> bool:
    return at is not None and start <= at < end


def _received(payments: Iterable[Payment], start: datetime, end: datetime) -> MoneyTotals:
    totals = MoneyTotals()
    for p in payments:
        if p.status is PaymentStatus.SUCCEEDED and _within(p.paid_at, start, end):
            totals += MoneyTotals(payments=1, gross=p.amount)
        if p.closed_reason is ClosedReason.AMOUNT_MISMATCH and _within(
            p.refund_required_at, start, end
        ):
            totals += MoneyTotals(payments=1, gross=p.amount_received or 0)
    return totals


def _approved(refunds: Iterable[Refund], start: datetime, end: datetime) -> list[Refund]:
    return [
        r
        for r in refunds
        if r.status is RefundStatus.APPROVED and _within(r.decided_at, start, end)
    ]


def _given_back(refunds: Iterable[Refund]) -> MoneyTotals:
    return sum((MoneyTotals(refunds=1, refunded=r.amount) for r in refunds), MoneyTotals())


class InMemoryReportQueries:
    """Report figures computed from the store's committed rows."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def day_totals(self, *, start: datetime, end: datetime) -> DayTotals:
        store = self._store
        orders = store.orders.values()
        counts = OrderCounts(
            placed=sum(_within(o.placed_at, start, end) for o in orders),
            paid=sum(_within(o.paid_at, start, end) for o in orders),
            cancelled=sum(_within(o.cancelled_at, start, end) for o in orders),
        )
        payments = list(store.payments.values())
        approved = _approved(store.refunds.values(), start, end)
        with_request = {r.payment_uid for r in store.refunds.values() if r.flagged}
        # Flags resolved on the payment itself, before refund requests existed.
        resolved_flags = [
            p
            for p in payments
            if p.refund_required_at is not None
            and _within(p.refund_resolved_at, start, end)
            and p.attempt_id not in with_request
        ]
        by_method: dict[PaymentMethod, MoneyTotals] = {}
        for method in PaymentMethod:
            totals = (
                _received((p for p in payments if p.method is method), start, end)
                + _given_back(r for r in approved if r.method is method)
                + sum(
                    (
                        MoneyTotals(refunds=1, refunded=p.refund_amount or 0)
                        for p in resolved_flags
                        if p.method is method
                    ),
                    MoneyTotals(),
                )
            )
            if totals != MoneyTotals():
                by_method[method] = totals
        return DayTotals(orders=counts, by_method=by_method, shifts=self._shifts(start, end))

    def _shifts(self, start: datetime, end: datetime) -> tuple[ShiftTotals, ...]:
        store = self._store
        overlapping = sorted(
            (
                s
                for s in store.shifts.values()
                if s.opened_at < end and (s.closed_at is None or s.closed_at >= start)
            ),
            key=lambda s: (s.opened_at, s.key),
        )
        approved = _approved(store.refunds.values(), start, end)
        return tuple(
            ShiftTotals(
                shift_id=shift.key,
                staff_id=shift.staff_id,
                staff_name=shift.staff_name,
                opened_at=shift.opened_at,
                closed_at=shift.closed_at,
                cash=_received(
                    (
                        p
                        for p in store.payments.values()
                        if p.method is PaymentMethod.CASH and p.shift_id == shift.key
                    ),
                    start,
                    end,
                )
                + _given_back(r for r in approved if r.shift_id == shift.key),
            )
            for shift in overlapping
        )


class InMemoryReceiptPrints:
    """Receipt print counts per order; each call is atomic on one event loop."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    async def record_print(self, order_id: int, *, now: datetime) -> int:
        self.counts[order_id] = self.counts.get(order_id, 0) + 1
        return self.counts[order_id]
