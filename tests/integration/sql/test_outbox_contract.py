"""The transactional outbox on memory, SQLite and PostgreSQL: every committed order and
payment change leaves its events in the same transaction, numbered 1, 2, 3 ... per order;
a rolled-back transaction leaves nothing; concurrent writers of one order never share or skip
a number (SQLite and PostgreSQL)."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.system import new_event_id
from application.outbox import OutboxDraft, payment_ref
from application.ports import UnitOfWorkFactory
from domain.events import OrderPaid, RefundMade, RefundRequested
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
WRITERS = 8


async def placed_order(factory: UnitOfWorkFactory) -> Order:
    item = MenuItem.create(name="Sate", price=30_000)
    async with factory() as uow:
        await uow.menu.add(item)
        order = Order.place(items=[(item, 2)], access_token_hash="h", now=NOW, table_number="7")
        await uow.orders.add(order)
        await uow.commit()
    return order


async def issued_qr(factory: UnitOfWorkFactory, order: Order, uid: str) -> Payment:
    async with factory() as uow:
        attempt = Payment.start_qris(order=order, attempt_id=uid, now=NOW, gateway="duitku")
        await uow.payments.add(attempt)
        await uow.commit()
    async with factory() as uow:
        stored = await uow.payments.get(uid, for_update=True)
        assert stored is not None
        stored.mark_issued(
            gateway_reference="REF-1",
            qr_string="000201-secret-qr",
            payment_url="https://pay.example/qr",
            expires_at=NOW + timedelta(minutes=10),
            now=NOW,
        )
        await uow.payments.update(stored)
        await uow.commit()
    return stored


async def test_each_committed_change_writes_its_events_numbered_in_order(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await placed_order(uow_factory)
    await issued_qr(uow_factory, order, "KSR-outbox-1")
    async with uow_factory() as uow:
        paid_order = await uow.orders.get(order.key, for_update=True)
        attempt = await uow.payments.get("KSR-outbox-1", for_update=True)
        assert paid_order is not None
        assert attempt is not None
        attempt.confirm_success(amount=60_000, now=NOW)
        paid_order.mark_paid(attempt_id=attempt.attempt_id, now=NOW)
        await uow.payments.update(attempt)
        await uow.orders.update(paid_order)
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        events = await uow.outbox.for_order(order.key)
        later = await uow.outbox.for_order(order.key, after_seq=3)

    assert [(e.seq, e.type) for e in events] == [
        (1, "order.placed"),
        (2, "payment.created"),
        (3, "payment.qr_issued"),
        (4, "payment.succeeded"),
        (5, "order.paid"),
    ]
    assert [e.seq for e in later] == [4, 5]
    # The QR was recorded in a transaction that did not load the order: still described.
    issued = events[2].payload
    assert issued["order"] == {
        "id": order.key,
        "status": "awaiting_payment",
        "total": 60_000,
        "table_number": "7",
    }
    assert issued["payment"]["status"] == "pending"
    assert len({e.id for e in events}) == 5
    paid = events[-1].payload
    assert paid["order"] == {
        "id": order.key,
        "status": "paid",
        "total": 60_000,
        "table_number": "7",
    }
    assert paid["payment"]["id"] == payment_ref("KSR-outbox-1")
    assert paid["payment"]["status"] == "succeeded"
    assert paid["seq"] == 5
    assert paid["type"] == "order.paid"
    assert paid["id"] == events[-1].id


async def test_no_event_carries_the_order_uid_the_qr_or_the_access_token(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await placed_order(uow_factory)
    await issued_qr(uow_factory, order, "KSR-outbox-secret")
    async with uow_factory(read_only=True) as uow:
        events = await uow.outbox.for_order(order.key)
    text = repr([e.payload for e in events])
    for secret in ("KSR-outbox-secret", "000201-secret-qr", "pay.example", "'h'"):
        assert secret not in text


async def test_a_rolled_back_transaction_leaves_no_event(uow_factory: UnitOfWorkFactory) -> None:
    order = await placed_order(uow_factory)
    async with uow_factory() as uow:
        attempt = Payment.start_qris(order=order, attempt_id="KSR-rolled-back", now=NOW)
        await uow.payments.add(attempt)
        await uow.rollback()
    async with uow_factory() as uow:
        uow.record(OrderPaid(order.key, "KSR-never"))
        # Left without commit: rolled back on exit.
    async with uow_factory() as uow:
        attempt = Payment.start_qris(order=order, attempt_id="KSR-kept", now=NOW)
        await uow.payments.add(attempt)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        events = await uow.outbox.for_order(order.key)
    assert [(e.seq, e.type) for e in events] == [(1, "order.placed"), (2, "payment.created")]


def draft(order_id: int) -> OutboxDraft:
    return OutboxDraft(
        id=new_event_id(),
        order_id=order_id,
        type="order.paid",
        occurred_at=NOW,
        order={"id": order_id},
        payment=None,
    )


async def test_concurrent_writers_of_one_order_never_share_or_skip_a_number(
    sql_engine: AsyncEngine,
) -> None:
    """Writers race for the order's next number; every other one numbers events and then
    rolls back. The committed numbers are exactly 1..n: a rolled-back number is reused, none
    is taken twice. On PostgreSQL every writer is inside its transaction before any appends."""
    factory = SqlAlchemyUnitOfWorkFactory(sql_engine)
    order = await placed_order(factory)
    concurrent = sql_engine.dialect.name == "postgresql"
    ready = asyncio.Barrier(WRITERS) if concurrent else None

    async def writer(index: int) -> None:
        async with factory() as uow:
            if ready is not None:
                await ready.wait()
            await uow.outbox.append([draft(order.key), draft(order.key)])
            await asyncio.sleep(0)
            if index % 2:
                await uow.rollback()
            else:
                await uow.commit()

    await asyncio.wait_for(asyncio.gather(*(writer(i) for i in range(WRITERS))), 60)

    async with factory(read_only=True) as uow:
        events = await uow.outbox.for_order(order.key)
    committed = WRITERS // 2 * 2
    assert [e.seq for e in events] == list(range(1, committed + 2))
    assert [e.payload["seq"] for e in events] == [e.seq for e in events]


async def test_each_order_numbers_its_own_events(uow_factory: UnitOfWorkFactory) -> None:
    placed = [await placed_order(uow_factory) for _ in range(2)]
    async with uow_factory(read_only=True) as uow:
        seqs = [[e.seq for e in await uow.outbox.for_order(o.key)] for o in placed]
    assert seqs == [[1], [1]]


async def test_a_refunds_steps_leave_through_the_outbox_without_who_decided(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = await placed_order(uow_factory)
    async with uow_factory() as uow:
        uow.record(RefundRequested(7, order.key, 20_000, "qris", "account:3"))
        uow.record(RefundMade(7, order.key, 20_000, "qris", None, "BCA-TRF-0001"))
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        events = await uow.outbox.for_order(order.key, after_seq=1)

    assert [(e.type, e.payload["refund"]) for e in events] == [
        ("refund.requested", {"id": 7, "amount": 20_000, "status": "requested", "method": "qris"}),
        ("refund.made", {"id": 7, "amount": 20_000, "status": "made", "method": "qris"}),
    ]
    assert "account:3" not in repr(events)
    assert "BCA-TRF" not in repr(events)
