"""The read side of reports on memory, SQLite and PostgreSQL, with the same assertions: the
day report's sums over a range of instants, the staff order list's filters and cursor, and
the receipt print count (racing prints included, on the SQL databases)."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.reports import InMemoryReceiptPrints, InMemoryReportQueries
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from adapters.sqlalchemy.receipt_prints import SqlAlchemyReceiptPrints
from adapters.sqlalchemy.reports import SqlAlchemyReportQueries
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.ports import ReceiptPrints, ReportQueries, UnitOfWorkFactory
from application.reports import MoneyTotals, OrderCounts, OrderCursor, OrderFilter
from domain.business_day import day_window
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentMethod
from domain.refunds import Refund
from domain.settlement import take_cash
from domain.shifts import Shift

JAKARTA = ZoneInfo("Asia/Jakarta")
DAY_START, DAY_END = day_window(date(2026, 11, 30), JAKARTA)  # 29 Nov 17:00Z to 30 Nov 17:00Z
LATE_EVENING = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 23:30 in Jakarta, 30 November
AFTER_MIDNIGHT = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 00:30 in Jakarta, 1 December
MORNING = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta, 30 November


def report_queries(uow: UnitOfWorkFactory) -> ReportQueries:
    if isinstance(uow, InMemoryUnitOfWorkFactory):
        return InMemoryReportQueries(uow.store)
    assert isinstance(uow, SqlAlchemyUnitOfWorkFactory)
    return SqlAlchemyReportQueries(uow)


def receipt_prints(uow: UnitOfWorkFactory) -> ReceiptPrints:
    if isinstance(uow, InMemoryUnitOfWorkFactory):
        return InMemoryReceiptPrints()
    assert isinstance(uow, SqlAlchemyUnitOfWorkFactory)
    return SqlAlchemyReceiptPrints(uow)


class Shop:
    """Places orders and pays them at chosen instants, straight through the repositories."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow
        self.item: MenuItem | None = None
        self.uids = 0

    async def order(self, at: datetime, *, quantity: int = 1, table: str = "7") -> Order:
        async with self.uow() as uow:
            if self.item is None:
                self.item = MenuItem.create(name="Nasi goreng", price=25_000)
                await uow.menu.add(self.item)
            order = Order.place(
                items=[(self.item, quantity)],
                access_token_hash="hash",
                now=at,
                table_number=table,
            )
            await uow.orders.add(order)
            await uow.commit()
        return order

    def uid(self) -> str:
        self.uids += 1
        return f"uid-{self.uids}"

    async def drawer(self, staff_id: str, at: datetime) -> Shift:
        """`staff_id`'s open shift, opened at `at` when there is none."""
        async with self.uow() as uow:
            shift = await uow.shifts.find_open(staff_id)
            if shift is None:
                shift = Shift.open(
                    staff_id=staff_id,
                    staff_name=staff_id.rsplit(":", maxsplit=1)[-1],
                    opening_float=0,
                    now=at,
                )
                await uow.shifts.add(shift)
                await uow.commit()
        return shift

    async def close(self, shift: Shift, at: datetime) -> None:
        async with self.uow() as uow:
            stored = await uow.shifts.get(shift.key, for_update=True)
            assert stored is not None
            stored.close(
                counted_cash=stored.expected_cash,
                note=None,
                by=stored.staff_id,
                by_name=stored.staff_name,
                now=at,
            )
            await uow.shifts.update(stored)
            await uow.commit()

    async def cash(self, order: Order, at: datetime, *, by: str = "token:sari") -> Payment:
        shift = await self.drawer(by, at)
        async with self.uow() as uow:
            stored = await uow.orders.get(order.key, for_update=True)
            drawer = await uow.shifts.get(shift.key, for_update=True)
            assert stored is not None
            assert drawer is not None
            payment = take_cash(
                order=stored,
                open_qris=None,
                attempt_id=self.uid(),
                tendered=stored.total + 5_000,
                taken_by=drawer.staff_name,
                shift=drawer,
                now=at,
            )
            await uow.payments.add(payment)
            await uow.orders.update(stored)
            await uow.shifts.update(drawer)
            await uow.commit()
        return payment

    async def refund(self, order: Order, amount: int, at: datetime, *, by: str) -> Refund:
        """An approved refund of `amount` of a paid order (cash out of `by`'s drawer)."""
        async with self.uow() as uow:
            stored = await uow.orders.get(order.key, for_update=True)
            assert stored is not None
            assert stored.paid_by_attempt is not None
            paid_by = await uow.payments.get(stored.paid_by_attempt, for_update=True)
            assert paid_by is not None
            refund = Refund.request(
                order=stored,
                paid_by=paid_by,
                earlier=[],
                amount=amount,
                lines=None,
                reason="cold soup",
                requested_by=by,
                requested_by_name="sari",
                now=at,
            )
            await uow.refunds.add(refund)
            drawer = await uow.shifts.find_open(by, for_update=True)
            if paid_by.method is PaymentMethod.CASH:
                assert drawer is not None
                drawer.record_cash_refund(amount)
                refund.approve(by="token:boss", by_name="boss", now=at, shift_id=drawer.key)
                await uow.shifts.update(drawer)
            else:
                refund.approve(by="token:boss", by_name="boss", now=at, reference="TRF-1")
            await uow.refunds.update(refund)
            await uow.orders.update(stored)
            await uow.commit()
        return refund

    async def give_back_flagged(self, payment: Payment, at: datetime) -> None:
        """Late money flagged, requested by kasir and approved: the refund request and the
        payment's flag both record it (as the approval does), and it counts once."""
        async with self.uow() as uow:
            stored = await uow.payments.get(payment.attempt_id, for_update=True)
            assert stored is not None
            stored.require_refund(reason="paid twice", now=at)
            refund = Refund.flagged_by_kasir(payment=stored, now=at)
            await uow.refunds.add(refund)
            refund.approve(by="token:boss", by_name="boss", now=at, reference="TRF-2")
            stored.resolve_refund(by="boss", note="TRF-2", now=at)
            await uow.refunds.update(refund)
            await uow.payments.update(stored)
            await uow.commit()

    async def start_qris(self, order: Order, at: datetime) -> Payment:
        payment = Payment.start_qris(order=order, attempt_id=self.uid(), now=at)
        async with self.uow() as uow:
            await uow.payments.add(payment)
            await uow.commit()
        return payment

    async def confirm(self, payment: Payment, at: datetime) -> Payment:
        """The gateway confirms the attempt paid; it pays its order if that still awaits it."""
        async with self.uow() as uow:
            order = await uow.orders.get(payment.order_id, for_update=True)
            stored = await uow.payments.get(payment.attempt_id, for_update=True)
            assert order is not None
            assert stored is not None
            stored.confirm_success(amount=stored.amount, now=at, gateway_reference=self.uid())
            if order.awaits_payment:
                order.mark_paid(attempt_id=stored.attempt_id, now=at)
                await uow.orders.update(order)
            await uow.payments.update(stored)
            await uow.commit()
        return stored

    async def qris(self, order: Order, at: datetime) -> Payment:
        return await self.confirm(await self.start_qris(order, at), at)

    async def cancel(self, order: Order, at: datetime) -> None:
        async with self.uow() as uow:
            stored = await uow.orders.get(order.key, for_update=True)
            assert stored is not None
            stored.cancel(by="sari", now=at)
            await uow.orders.update(stored)
            await uow.commit()

    async def resolve_flag(
        self, payment: Payment, *, flagged: datetime, resolved: datetime
    ) -> None:
        async with self.uow() as uow:
            stored = await uow.payments.get(payment.attempt_id, for_update=True)
            assert stored is not None
            stored.require_refund(reason="paid twice", now=flagged)
            stored.resolve_refund(by="sari", note="given back", now=resolved)
            await uow.payments.update(stored)
            await uow.commit()


async def test_a_day_counts_what_happened_between_its_local_midnights(
    uow_factory: UnitOfWorkFactory,
) -> None:
    shop = Shop(uow_factory)
    evening = await shop.order(LATE_EVENING - timedelta(minutes=5), quantity=2)  # 50 000
    await shop.cash(evening, LATE_EVENING)
    night = await shop.order(AFTER_MIDNIGHT - timedelta(minutes=5))
    await shop.cash(night, AFTER_MIDNIGHT)  # the next day's
    morning = await shop.order(MORNING)
    await shop.qris(morning, MORNING + timedelta(minutes=1))  # 25 000 by QRIS
    cancelled = await shop.order(MORNING)
    await shop.cancel(cancelled, MORNING + timedelta(hours=1))
    # The QR of an order paid in cash is paid too: received today, given back tomorrow.
    twice = await shop.order(MORNING)
    shown = await shop.start_qris(twice, MORNING + timedelta(minutes=1))
    await shop.cash(twice, MORNING + timedelta(minutes=2))
    late_money = await shop.confirm(shown, MORNING + timedelta(minutes=3))
    await shop.resolve_flag(
        late_money, flagged=MORNING + timedelta(minutes=3), resolved=AFTER_MIDNIGHT
    )

    today = await report_queries(uow_factory).day_totals(start=DAY_START, end=DAY_END)
    tomorrow = await report_queries(uow_factory).day_totals(
        start=DAY_END, end=DAY_END + timedelta(days=1)
    )

    assert today.orders == OrderCounts(placed=4, paid=3, cancelled=1)
    assert today.method(PaymentMethod.CASH) == MoneyTotals(payments=2, gross=75_000)
    assert today.method(PaymentMethod.QRIS) == MoneyTotals(payments=2, gross=50_000)
    assert today.total.net == 125_000
    money = [getattr(today.total, name) for name in ("payments", "gross", "refunds", "refunded")]
    assert all(type(value) is int for value in money)  # never a Decimal from PostgreSQL
    assert tomorrow.orders == OrderCounts(placed=1, paid=1, cancelled=0)
    assert tomorrow.method(PaymentMethod.CASH) == MoneyTotals(payments=1, gross=25_000)
    assert tomorrow.method(PaymentMethod.QRIS) == MoneyTotals(refunds=1, refunded=25_000)
    assert tomorrow.total.net == 0


async def test_a_qr_paid_with_another_amount_counts_what_arrived_and_what_went_back(
    uow_factory: UnitOfWorkFactory,
) -> None:
    shop = Shop(uow_factory)
    attempt = await shop.start_qris(await shop.order(MORNING), MORNING)
    async with uow_factory() as uow:
        stored = await uow.payments.get(attempt.attempt_id, for_update=True)
        assert stored is not None
        stored.close_amount_mismatch(amount_received=20_000, now=MORNING + timedelta(minutes=1))
        stored.resolve_refund(by="sari", note="sent back", now=LATE_EVENING)
        await uow.payments.update(stored)
        await uow.commit()

    totals = await report_queries(uow_factory).day_totals(start=DAY_START, end=DAY_END)

    assert totals.orders == OrderCounts(placed=1)
    assert totals.method(PaymentMethod.QRIS) == MoneyTotals(
        payments=1, gross=20_000, refunds=1, refunded=20_000
    )
    assert totals.total.net == 0


async def test_refunds_approved_in_the_day_count_by_method_and_by_the_drawer_they_left(
    uow_factory: UnitOfWorkFactory,
) -> None:
    shop = Shop(uow_factory)
    soup = await shop.order(MORNING, quantity=2)  # 50 000
    await shop.cash(soup, MORNING, by="token:sari")
    await shop.refund(soup, 20_000, MORNING + timedelta(hours=1), by="token:sari")
    by_qris = await shop.order(MORNING)
    await shop.qris(by_qris, MORNING)
    await shop.refund(by_qris, 25_000, AFTER_MIDNIGHT, by="token:sari")  # tomorrow's
    twice = await shop.order(MORNING)
    shown = await shop.start_qris(twice, MORNING)
    await shop.cash(twice, MORNING, by="token:sari")
    await shop.give_back_flagged(await shop.confirm(shown, MORNING), MORNING)
    budi = await shop.drawer("account:7", MORNING + timedelta(hours=2))
    await shop.cash(await shop.order(MORNING), MORNING + timedelta(hours=3), by="account:7")
    await shop.close(budi, MORNING + timedelta(hours=4))
    await shop.drawer("account:8", AFTER_MIDNIGHT)  # opens tomorrow: not today's

    today = await report_queries(uow_factory).day_totals(start=DAY_START, end=DAY_END)
    tomorrow = await report_queries(uow_factory).day_totals(
        start=DAY_END, end=DAY_END + timedelta(days=1)
    )

    assert today.method(PaymentMethod.CASH) == MoneyTotals(
        payments=3, gross=100_000, refunds=1, refunded=20_000
    )
    assert today.method(PaymentMethod.QRIS) == MoneyTotals(
        payments=2, gross=50_000, refunds=1, refunded=25_000
    )
    assert tomorrow.method(PaymentMethod.QRIS) == MoneyTotals(refunds=1, refunded=25_000)
    assert [(s.staff_id, s.cash, s.closed_at is None) for s in today.shifts] == [
        ("token:sari", MoneyTotals(payments=2, gross=75_000, refunds=1, refunded=20_000), True),
        ("account:7", MoneyTotals(payments=1, gross=25_000), False),
    ]
    assert [(s.staff_id, s.cash) for s in tomorrow.shifts] == [
        ("token:sari", MoneyTotals()),  # still open, nothing moved through it
        ("account:8", MoneyTotals()),
    ]


async def test_an_empty_day_reports_zeros(uow_factory: UnitOfWorkFactory) -> None:
    shop = Shop(uow_factory)
    drawer = await shop.drawer("token:sari", MORNING)
    await shop.cash(await shop.order(MORNING), MORNING)
    await shop.close(drawer, MORNING + timedelta(hours=1))

    totals = await report_queries(uow_factory).day_totals(
        start=DAY_END, end=DAY_END + timedelta(days=1)
    )

    assert totals.orders == OrderCounts()
    assert totals.by_method == {}
    assert totals.total == MoneyTotals()
    assert totals.shifts == ()


async def test_the_order_list_filters_and_pages_newest_first_without_gaps_or_repeats(
    uow_factory: UnitOfWorkFactory,
) -> None:
    shop = Shop(uow_factory)
    # Two orders share one instant: the id breaks the tie, so paging never skips either.
    orders = [
        await shop.order(MORNING, table="1"),
        await shop.order(MORNING, table="2"),
        await shop.order(MORNING + timedelta(minutes=1), table="1"),
        await shop.order(MORNING + timedelta(minutes=2), table="3"),
        await shop.order(LATE_EVENING, table="1"),
    ]
    await shop.cash(orders[0], MORNING, by="token:sari")
    await shop.cash(orders[2], MORNING, by="account:7")
    await shop.qris(orders[3], MORNING)
    newest_first = [o.key for o in orders[::-1]]

    async def listed(where: OrderFilter | None = None, limit: int = 50) -> list[int]:
        async with uow_factory(read_only=True) as uow:
            return [o.key for o in await uow.orders.list(where, limit=limit)]

    async def paged(limit: int) -> list[int]:
        seen: list[int] = []
        after: OrderCursor | None = None
        while True:
            async with uow_factory(read_only=True) as uow:
                page = await uow.orders.list(OrderFilter(after=after), limit=limit)
            seen += [o.key for o in page]
            if len(page) < limit:
                return seen
            after = OrderCursor(page[-1].placed_at, page[-1].key)

    assert await listed() == newest_first
    assert await paged(2) == newest_first
    assert await paged(1) == newest_first
    assert await listed(OrderFilter(status=OrderStatus.PAID)) == [
        o.key for o in orders[3::-1] if o is not orders[1]
    ]
    assert await listed(OrderFilter(method=PaymentMethod.CASH)) == [orders[2].key, orders[0].key]
    assert await listed(OrderFilter(method=PaymentMethod.QRIS)) == [orders[3].key]
    assert await listed(OrderFilter(cashier="token:sari")) == [orders[0].key]
    assert await listed(OrderFilter(cashier="account:7")) == [orders[2].key]
    assert await listed(OrderFilter(cashier="sari")) == []  # a staff id, not a name
    assert await listed(OrderFilter(table_number="1")) == [
        orders[4].key,
        orders[2].key,
        orders[0].key,
    ]
    assert await listed(
        OrderFilter(placed_from=MORNING + timedelta(minutes=1), placed_before=LATE_EVENING)
    ) == [orders[3].key, orders[2].key]
    assert await listed(OrderFilter(table_number="1", method=PaymentMethod.CASH), limit=1) == [
        orders[2].key
    ]
    assert await listed(OrderFilter(table_number="9")) == []


async def test_each_receipt_print_gets_the_next_number_per_order(
    uow_factory: UnitOfWorkFactory,
) -> None:
    shop = Shop(uow_factory)
    first, second = await shop.order(MORNING), await shop.order(MORNING)
    prints = receipt_prints(uow_factory)

    numbers = [
        await prints.record_print(first.key, now=MORNING),
        await prints.record_print(first.key, now=MORNING + timedelta(minutes=1)),
        await prints.record_print(second.key, now=MORNING),
        await prints.record_print(first.key, now=MORNING + timedelta(minutes=2)),
    ]

    assert numbers == [1, 2, 1, 3]


@pytest.mark.parametrize("racers", [8])
async def test_racing_prints_of_one_order_never_share_a_number(
    sql_engine: AsyncEngine, racers: int
) -> None:
    uow = SqlAlchemyUnitOfWorkFactory(sql_engine)
    order = await Shop(uow).order(MORNING)
    prints = SqlAlchemyReceiptPrints(uow)
    # Separate engines would be separate processes; one engine's pool already races on
    # PostgreSQL (row lock on the upsert) and queues on SQLite (BEGIN IMMEDIATE).
    record: Callable[[], Awaitable[int]] = lambda: prints.record_print(order.key, now=MORNING)  # noqa: E731

    numbers = await asyncio.gather(*(record() for _ in range(racers)))

    assert sorted(numbers) == list(range(1, racers + 1))
