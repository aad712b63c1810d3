"""Repository contract: the same rules hold on the in-memory, SQLite and PostgreSQL adapters."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.in_memory.events import InMemoryEventPublisher
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.errors import ConcurrentUpdate
from application.ports import UnitOfWorkFactory
from application.reports import OrderFilter
from domain.events import OrderCancelled, OrderPlaced, PaymentReviewResolved
from domain.menu import MenuItem
from domain.orders import Order, OrderLine, OrderStatus
from domain.payments import Payment, PaymentMethod, PaymentStatus
from domain.settlement import apply_gateway_success

NOW = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


async def add_menu(uow_factory: UnitOfWorkFactory, *items: MenuItem) -> list[MenuItem]:
    async with uow_factory() as uow:
        for item in items:
            await uow.menu.add(item)
        await uow.commit()
    return list(items)


async def place_order(
    uow_factory: UnitOfWorkFactory, *, now: datetime = NOW, quantity: int = 2
) -> Order:
    [nasi, teh] = await add_menu(
        uow_factory,
        MenuItem.create(name="Nasi goreng", price=25_000),
        MenuItem.create(name="Es teh", price=5_000),
    )
    order = Order.place(
        items=[(nasi, quantity), (teh, 1)],
        access_token_hash="hash-of-token",
        now=now,
        table_number="7",
        customer_name="Budi",
    )
    async with uow_factory() as uow:
        await uow.orders.add(order)
        await uow.commit()
    return order


async def add_payments(uow_factory: UnitOfWorkFactory, *payments: Payment) -> None:
    async with uow_factory() as uow:
        for payment in payments:
            await uow.payments.add(payment)
        await uow.commit()


def qris(order: Order, attempt_id: str, *, now: datetime = NOW) -> Payment:
    return Payment.start_qris(order=order, attempt_id=attempt_id, now=now)


def issued(payment: Payment, *, expires_at: datetime, reference: str | None = None) -> Payment:
    payment.mark_issued(
        gateway_reference=reference or f"REF-{payment.attempt_id}",
        qr_string="00020101021226...",
        payment_url="https://pay.example/qr",
        expires_at=expires_at,
        now=payment.created_at,
    )
    return payment


# --- menu -------------------------------------------------------------------------------------


async def test_a_menu_item_gets_an_id_and_reads_back_with_every_field(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [soto, kopi] = await add_menu(
        uow_factory,
        MenuItem.create(name="Soto ayam", price=30_000),
        MenuItem.create(name="Kopi tubruk", price=8_000, available=False),
    )
    assert soto.id is not None
    assert kopi.id is not None
    assert soto.id != kopi.id
    async with uow_factory(read_only=True) as uow:
        assert await uow.menu.get(soto.id) == soto
        assert await uow.menu.get(kopi.id) == kopi
        assert await uow.menu.get(10_000) is None


async def test_menu_lists_by_id_and_can_leave_out_unavailable_items(
    uow_factory: UnitOfWorkFactory,
) -> None:
    items = await add_menu(
        uow_factory,
        MenuItem.create(name="A", price=1_000),
        MenuItem.create(name="B", price=2_000, available=False),
        MenuItem.create(name="C", price=3_000),
    )
    async with uow_factory(read_only=True) as uow:
        assert await uow.menu.list() == items
        assert await uow.menu.list(available_only=True) == [items[0], items[2]]
        ids = [item.id for item in items if item.id is not None]
        assert await uow.menu.get_many([ids[2], ids[0], 9_999]) == {
            ids[0]: items[0],
            ids[2]: items[2],
        }
        assert await uow.menu.get_many([]) == {}


async def test_a_menu_update_is_stored_and_an_unknown_item_cannot_be_updated(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [item] = await add_menu(uow_factory, MenuItem.create(name="Bakso", price=20_000))
    assert item.id is not None
    async with uow_factory() as uow:
        stored = await uow.menu.get(item.id)
        assert stored is not None
        stored.update(name="Bakso urat", price=22_000, available=False)
        await uow.menu.update(stored)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.menu.get(item.id) == MenuItem(
            id=item.id, name="Bakso urat", price=22_000, available=False
        )
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.menu.update(MenuItem(id=4_242, name="Ghost", price=1))


# --- orders -----------------------------------------------------------------------------------


async def test_an_order_gets_its_id_and_reads_back_with_its_lines_and_without_events(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory, now=datetime(2026, 3, 4, 12, 0, tzinfo=WIB))
    assert order.id is not None
    assert order.events == []  # the committed unit of work took them, to publish them
    async with uow_factory(read_only=True) as uow:
        stored = await uow.orders.get(order.id)
    assert stored == order
    assert stored is not None
    assert stored.events == []
    assert stored.total == 55_000
    assert stored.lines[0] == OrderLine(order.lines[0].menu_item_id, "Nasi goreng", 25_000, 2)
    assert stored.placed_at == datetime(2026, 3, 4, 5, 0, tzinfo=UTC)
    assert stored.version == 0


async def test_a_committed_unit_of_work_publishes_what_it_stored_and_a_rolled_back_one_nothing(
    uow_factory: UnitOfWorkFactory,
) -> None:
    assert isinstance(uow_factory, InMemoryUnitOfWorkFactory | SqlAlchemyUnitOfWorkFactory)
    published = InMemoryEventPublisher()
    uow_factory.events = published
    order = await place_order(uow_factory)
    assert [type(event) for event in published.published] == [OrderPlaced]
    published.published.clear()

    async with uow_factory() as uow:
        stored = await uow.orders.get(order.key, for_update=True)
        assert stored is not None
        stored.cancel(by="staff:sari", now=NOW)
        await uow.orders.update(stored)
        uow.record(PaymentReviewResolved("KSR-1", "staff:sari"))
        await uow.rollback()
    assert published.published == []

    async with uow_factory() as uow:
        stored = await uow.orders.get(order.key, for_update=True)
        assert stored is not None
        stored.cancel(by="staff:sari", now=NOW)
        await uow.orders.update(stored)
        await uow.orders.update(stored)  # stored twice, published once
        uow.record(PaymentReviewResolved("KSR-1", "staff:sari"))
        await uow.commit()
    assert published.published == [
        OrderCancelled(order.key, "staff:sari"),
        PaymentReviewResolved("KSR-1", "staff:sari"),
    ]


async def test_orders_get_increasing_ids(uow_factory: UnitOfWorkFactory) -> None:
    first = await place_order(uow_factory)
    second = await place_order(uow_factory)
    assert first.key < second.key


async def test_an_order_update_stores_the_new_state_and_bumps_the_version(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    async with uow_factory() as uow:
        stored = await uow.orders.get(order.key, for_update=True)
        assert stored is not None
        stored.cancel(by="kasir-1", now=NOW + minutes(5))
        await uow.orders.update(stored)
        assert stored.version == 1
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        again = await uow.orders.get(order.key)
    assert again == stored
    assert again is not None
    assert again.status is OrderStatus.CANCELLED
    assert again.cancelled_at == NOW + minutes(5)
    assert again.cancelled_by == "kasir-1"
    assert again.version == 1


async def test_an_order_update_from_a_stale_read_raises_concurrent_update(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    async with uow_factory(read_only=True) as uow:
        stale = await uow.orders.get(order.key)
    assert stale is not None
    async with uow_factory() as uow:
        fresh = await uow.orders.get(order.key)
        assert fresh is not None
        fresh.mark_paid(attempt_id="uid-cash", now=NOW)
        await uow.orders.update(fresh)
        await uow.commit()
    async with uow_factory() as uow:
        stale.cancel(by="kasir-1", now=NOW)
        with pytest.raises(ConcurrentUpdate):
            await uow.orders.update(stale)
    async with uow_factory(read_only=True) as uow:
        stored = await uow.orders.get(order.key)
    assert stored is not None
    assert stored.status is OrderStatus.PAID


async def test_orders_list_newest_first_filtered_by_status_and_paged_with_before_id(
    uow_factory: UnitOfWorkFactory,
) -> None:
    orders = [await place_order(uow_factory) for _ in range(5)]
    async with uow_factory() as uow:
        for order in orders[1::2]:
            stored = await uow.orders.get(order.key)
            assert stored is not None
            stored.mark_paid(attempt_id=f"uid-{order.key}", now=NOW)
            await uow.orders.update(stored)
        await uow.commit()
    ids = [order.key for order in orders]
    async with uow_factory(read_only=True) as uow:
        assert [o.key for o in await uow.orders.list()] == ids[::-1]
        assert [o.key for o in await uow.orders.list(limit=2)] == [ids[4], ids[3]]
        assert [o.key for o in await uow.orders.list(OrderFilter(before_id=ids[3]), limit=2)] == [
            ids[2],
            ids[1],
        ]
        awaiting = await uow.orders.list(OrderFilter(status=OrderStatus.AWAITING_PAYMENT))
        assert [o.key for o in awaiting] == [ids[4], ids[2], ids[0]]
        paid = await uow.orders.list(OrderFilter(status=OrderStatus.PAID, before_id=ids[3]))
        assert [o.key for o in paid] == [ids[1]]
        assert all(len(o.lines) == 2 for o in awaiting)
        assert await uow.orders.list(OrderFilter(before_id=ids[0])) == []


# --- payments ---------------------------------------------------------------------------------


async def test_a_payment_reads_back_with_every_field_and_without_events(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    every_field = Payment(
        attempt_id="KSR-every-field",
        order_id=order.key,
        method=PaymentMethod.QRIS,
        amount=order.total,
        status=PaymentStatus.SUCCEEDED,
        created_at=NOW,
        updated_at=NOW + minutes(3),
        gateway_reference="DUITKU-REF-1",
        qr_string="00020101021226670016COM.NOBUBANK.WWW",
        payment_url="https://sandbox.duitku.com/pay/1",
        expires_at=NOW + minutes(10),
        paid_at=NOW + minutes(2),
        status_reason="confirmed by transactionStatus",
        cash_tendered=None,
        change_due=None,
        taken_by=None,
        refund_required_at=NOW + minutes(3),
        refund_reason="order 1 was already paid",
        refund_resolved_at=NOW + minutes(60),
        refund_resolved_by="manager",
        refund_note="transferred back",
    )
    cash = Payment(
        attempt_id="KSR-cash",
        order_id=order.key,
        method=PaymentMethod.CASH,
        amount=order.total,
        status=PaymentStatus.SUCCEEDED,
        created_at=datetime(2026, 3, 4, 13, 0, tzinfo=WIB),
        updated_at=datetime(2026, 3, 4, 13, 0, tzinfo=WIB),
        paid_at=datetime(2026, 3, 4, 13, 0, tzinfo=WIB),
        cash_tendered=100_000,
        change_due=100_000 - order.total,
        taken_by="kasir-2",
    )
    await add_payments(uow_factory, every_field, cash)
    async with uow_factory(read_only=True) as uow:
        stored = await uow.payments.get(every_field.attempt_id)
        stored_cash = await uow.payments.get(cash.attempt_id)
        assert await uow.payments.get("KSR-unknown") is None
    assert stored == every_field
    assert stored_cash == cash
    assert stored is not None
    assert stored.events == []
    assert stored_cash is not None
    assert stored_cash.created_at == datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


async def test_a_payment_update_stores_the_new_state_and_bumps_the_version(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    await add_payments(uow_factory, qris(order, "KSR-1"))
    async with uow_factory() as uow:
        payment = await uow.payments.get("KSR-1", for_update=True)
        assert payment is not None
        issued(payment, expires_at=NOW + minutes(15))
        await uow.payments.update(payment)
        assert payment.version == 1
        payment.confirm_success(amount=order.total, now=NOW + minutes(1))
        await uow.payments.update(payment)
        assert payment.version == 2
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.payments.get("KSR-1") == payment


async def test_a_payment_update_from_a_stale_read_raises_concurrent_update(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    await add_payments(uow_factory, qris(order, "KSR-1"))
    async with uow_factory(read_only=True) as uow:
        stale = await uow.payments.get("KSR-1")
    assert stale is not None
    async with uow_factory() as uow:
        fresh = await uow.payments.get("KSR-1")
        assert fresh is not None
        fresh.fail(reason="gateway refused", now=NOW)
        await uow.payments.update(fresh)
        await uow.commit()
    async with uow_factory() as uow:
        stale.cancel(reason="paid in cash", now=NOW)
        with pytest.raises(ConcurrentUpdate):
            await uow.payments.update(stale)
    async with uow_factory(read_only=True) as uow:
        stored = await uow.payments.get("KSR-1")
    assert stored is not None
    assert stored.status is PaymentStatus.FAILED


async def test_a_second_open_qris_attempt_for_one_order_raises_concurrent_update(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    await add_payments(uow_factory, qris(order, "KSR-1"))
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.payments.add(qris(order, "KSR-2"))
        # The unit of work stays usable after the refused insert.
        open_attempt = await uow.payments.find_open_qris(order.key)
        assert open_attempt is not None
        assert open_attempt.attempt_id == "KSR-1"
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert [p.attempt_id for p in await uow.payments.list_for_order(order.key)] == ["KSR-1"]


async def test_a_new_qris_attempt_may_open_once_the_previous_one_is_closed(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    await add_payments(uow_factory, qris(order, "KSR-1"))
    async with uow_factory() as uow:
        first = await uow.payments.get("KSR-1")
        assert first is not None
        first.expire(now=NOW + minutes(20))
        await uow.payments.update(first)
        await uow.payments.add(qris(order, "KSR-2", now=NOW + minutes(21)))
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        open_attempt = await uow.payments.find_open_qris(order.key)
    assert open_attempt is not None
    assert open_attempt.attempt_id == "KSR-2"


async def test_a_taken_attempt_id_raises_concurrent_update(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    other = await place_order(uow_factory)
    await add_payments(uow_factory, qris(order, "KSR-1"))
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.payments.add(qris(other, "KSR-1"))


async def test_a_taken_gateway_reference_raises_concurrent_update(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    other = await place_order(uow_factory)
    await add_payments(
        uow_factory,
        issued(qris(order, "KSR-1"), expires_at=NOW + minutes(15), reference="REF-SAME"),
        qris(other, "KSR-2"),
    )
    async with uow_factory() as uow:
        second = await uow.payments.get("KSR-2")
        assert second is not None
        issued(second, expires_at=NOW + minutes(15), reference="REF-SAME")
        with pytest.raises(ConcurrentUpdate):
            await uow.payments.update(second)


async def test_a_payment_for_an_unknown_order_raises_concurrent_update(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    orphan = replace(qris(order, "KSR-orphan"), order_id=order.key + 1_000)
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.payments.add(orphan)


async def test_attempts_of_an_order_list_oldest_first(uow_factory: UnitOfWorkFactory) -> None:
    order = await place_order(uow_factory)
    other = await place_order(uow_factory)
    first = qris(order, "KSR-1", now=NOW)
    first.fail(reason="refused", now=NOW)
    second = qris(order, "KSR-2", now=NOW + minutes(1))
    await add_payments(uow_factory, second, first, qris(other, "KSR-3"))
    async with uow_factory(read_only=True) as uow:
        listed = await uow.payments.list_for_order(order.key)
        assert [p.attempt_id for p in listed] == ["KSR-1", "KSR-2"]
        assert await uow.payments.list_for_order(order.key + 1_000) == []


async def test_an_order_reads_with_its_lines_and_its_attempts_oldest_first_in_one_read(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    bare = await place_order(uow_factory)
    first = qris(order, "KSR-1", now=NOW)
    first.fail(reason="refused", now=NOW)
    second = issued(qris(order, "KSR-2", now=NOW + minutes(1)), expires_at=NOW + minutes(11))
    await add_payments(uow_factory, second, first, qris(bare, "KSR-3"))
    async with uow_factory(read_only=True) as uow:
        found = await uow.orders.get_with_payments(order.key)
        stored_second = await uow.payments.get("KSR-2")
        assert await uow.orders.get_with_payments(order.key + 1_000) is None
    assert found is not None
    stored, attempts = found
    assert stored == order
    assert stored.lines == order.lines
    assert [p.attempt_id for p in attempts] == ["KSR-1", "KSR-2"]
    assert attempts[1] == stored_second
    assert attempts[0].status is PaymentStatus.FAILED


async def test_an_order_without_attempts_reads_with_an_empty_list(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    async with uow_factory(read_only=True) as uow:
        assert await uow.orders.get_with_payments(order.key) == (order, [])


async def test_the_order_with_its_attempts_is_read_in_read_only_units_of_work_only(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Its attempts are not remembered for a conditional update: no write may follow it."""
    order = await place_order(uow_factory)
    async with uow_factory() as uow:
        with pytest.raises(RuntimeError):
            await uow.orders.get_with_payments(order.key)


async def test_find_open_qris_finds_only_a_creating_or_pending_qris_attempt(
    uow_factory: UnitOfWorkFactory,
) -> None:
    creating_order = await place_order(uow_factory)
    pending_order = await place_order(uow_factory)
    closed_order = await place_order(uow_factory)
    cash_order = await place_order(uow_factory)
    closed = qris(closed_order, "KSR-closed")
    closed.cancel(reason="abandoned", now=NOW)
    cash = Payment.take_cash(
        order=cash_order,
        attempt_id="KSR-cash",
        tendered=60_000,
        taken_by="kasir",
        shift_id=7,
        now=NOW,
    )
    await add_payments(
        uow_factory,
        qris(creating_order, "KSR-creating"),
        issued(qris(pending_order, "KSR-pending"), expires_at=NOW + minutes(15)),
        closed,
        cash,
    )
    async with uow_factory(read_only=True) as uow:
        creating = await uow.payments.find_open_qris(creating_order.key)
        pending = await uow.payments.find_open_qris(pending_order.key)
        assert creating is not None
        assert creating.attempt_id == "KSR-creating"
        assert pending is not None
        assert pending.attempt_id == "KSR-pending"
        assert await uow.payments.find_open_qris(closed_order.key) is None
        assert await uow.payments.find_open_qris(cash_order.key) is None


async def test_stale_creating_lists_attempts_created_before_the_cutoff_oldest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    orders = [await place_order(uow_factory) for _ in range(4)]
    old = qris(orders[0], "KSR-old", now=NOW - minutes(10))
    older = qris(orders[1], "KSR-older", now=NOW - minutes(20))
    fresh = qris(orders[2], "KSR-fresh", now=NOW)
    pending = issued(qris(orders[3], "KSR-pending", now=NOW - minutes(30)), expires_at=NOW)
    await add_payments(uow_factory, old, older, fresh, pending)
    async with uow_factory(read_only=True) as uow:
        stale = await uow.payments.list_stale_creating(created_before=NOW, limit=10)
        assert [p.attempt_id for p in stale] == ["KSR-older", "KSR-old"]
        limited = await uow.payments.list_stale_creating(created_before=NOW, limit=1)
        assert [p.attempt_id for p in limited] == ["KSR-older"]


async def test_refunds_list_open_ones_or_all_flagged_ones_newest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    cash = Payment.take_cash(
        order=order, attempt_id="KSR-cash", tendered=60_000, taken_by="kasir", shift_id=7, now=NOW
    )
    attempts = [qris(order, f"KSR-{n}") for n in range(3)]
    for n, attempt in enumerate(attempts):
        attempt.cancel(reason="paid in cash", now=NOW)
        attempt.confirm_success(amount=order.total, now=NOW + minutes(n))
        attempt.require_refund(reason="already paid", now=NOW + minutes(n))
    attempts[1].resolve_refund(by="manager", note="returned", now=NOW + minutes(9))
    order.mark_paid(attempt_id="KSR-cash", now=NOW)
    await add_payments(uow_factory, cash, *attempts)
    async with uow_factory(read_only=True) as uow:
        open_refunds = await uow.payments.list_refunds()
        assert [p.attempt_id for p in open_refunds] == ["KSR-2", "KSR-0"]
        every = await uow.payments.list_refunds(open_only=False)
        assert [p.attempt_id for p in every] == ["KSR-2", "KSR-1", "KSR-0"]
        limited = await uow.payments.list_refunds(open_only=False, limit=1)
        assert [p.attempt_id for p in limited] == ["KSR-2"]


# --- unit of work -----------------------------------------------------------------------------


async def test_work_that_is_not_committed_is_rolled_back(uow_factory: UnitOfWorkFactory) -> None:
    order = await place_order(uow_factory)
    async with uow_factory() as uow:
        await uow.payments.add(qris(order, "KSR-1"))
        stored = await uow.orders.get(order.key)
        assert stored is not None
        stored.cancel(by="kasir", now=NOW)
        await uow.orders.update(stored)
        await uow.menu.add(MenuItem.create(name="Lost", price=1))
    async with uow_factory(read_only=True) as uow:
        assert await uow.payments.get("KSR-1") is None
        assert await uow.orders.get(order.key) == order
        assert [item.name for item in await uow.menu.list()] == ["Nasi goreng", "Es teh"]


async def test_an_exception_inside_the_unit_of_work_rolls_it_back(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)

    async def fail_midway() -> None:
        async with uow_factory() as uow:
            await uow.payments.add(qris(order, "KSR-1"))
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        await fail_midway()
    async with uow_factory(read_only=True) as uow:
        assert await uow.payments.get("KSR-1") is None


async def test_rollback_discards_the_work_done_so_far(uow_factory: UnitOfWorkFactory) -> None:
    order = await place_order(uow_factory)
    async with uow_factory() as uow:
        await uow.payments.add(qris(order, "KSR-1"))
        await uow.rollback()
        await uow.payments.add(qris(order, "KSR-2"))
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert [p.attempt_id for p in await uow.payments.list_for_order(order.key)] == ["KSR-2"]


async def test_committed_work_is_visible_to_the_next_unit_of_work(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await place_order(uow_factory)
    payment = issued(qris(order, "KSR-1"), expires_at=NOW + minutes(15))
    await add_payments(uow_factory, payment)
    async with uow_factory() as uow:
        stored_order = await uow.orders.get(order.key, for_update=True)
        stored_payment = await uow.payments.get("KSR-1", for_update=True)
        assert stored_order is not None
        assert stored_payment is not None
        apply_gateway_success(
            order=stored_order, payment=stored_payment, amount=order.total, now=NOW
        )
        await uow.payments.update(stored_payment)
        await uow.orders.update(stored_order)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        paid_order = await uow.orders.get(order.key)
        paid = await uow.payments.get("KSR-1")
    assert paid_order is not None
    assert paid_order.status is OrderStatus.PAID
    assert paid_order.paid_by_attempt == "KSR-1"
    assert paid is not None
    assert paid.status is PaymentStatus.SUCCEEDED


async def test_a_read_only_unit_of_work_refuses_writes(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(read_only=True) as uow:
        with pytest.raises(RuntimeError):
            await uow.menu.add(MenuItem.create(name="Nope", price=1))
