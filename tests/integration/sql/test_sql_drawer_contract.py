"""The shift and refund repositories keep the same rules on memory, SQLite and PostgreSQL, and
the SQL schema holds them even against statements that skip the application."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.drawer import open_shift_in

from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.errors import ConcurrentUpdate
from application.ports import UnitOfWorkFactory
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment
from domain.refunds import Refund, RefundLine, RefundStatus
from domain.shifts import CashMovementKind

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def paid_order(uow_factory: UnitOfWorkFactory) -> tuple[Order, Payment]:
    """A 50 000 order paid in cash into kasir's shift."""
    async with uow_factory() as uow:
        item = MenuItem.create(name="Nasi goreng", price=25_000)
        await uow.menu.add(item)
        order = Order.place(items=[(item, 2)], access_token_hash="h", now=NOW)
        await uow.orders.add(order)
        shift = await open_shift_in(uow)
        payment = Payment.take_cash(
            order=order,
            attempt_id="KSR-C",
            tendered=50_000,
            taken_by="kasir",
            shift_id=shift.key,
            now=NOW,
        )
        order.mark_paid(attempt_id=payment.attempt_id, now=NOW)
        await uow.payments.add(payment)
        await uow.orders.update(order)
        await uow.commit()
    return order, payment


async def test_a_staff_member_has_one_open_shift_and_may_open_another_once_it_closed(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        first = await open_shift_in(uow, "sari", 100_000)
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await open_shift_in(uow, "sari")
    async with uow_factory() as uow:
        shift = await uow.shifts.find_open("token:sari", for_update=True)
        assert shift is not None
        assert shift.key == first.key
        shift.close(counted_cash=100_000, note="ok", by="token:sari", by_name="sari", now=NOW)
        await uow.shifts.update(shift)
        second = await open_shift_in(uow, "sari")
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        reread = await uow.shifts.get(first.key)
        assert reread is not None
        assert (reread.status.value, reread.expected_at_close, reread.difference) == (
            "closed",
            100_000,
            0,
        )
        assert (await uow.shifts.find_open("token:sari")) == await uow.shifts.get(second.key)


async def test_a_closed_or_changed_shift_is_never_written_over(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        shift = await open_shift_in(uow)
        await uow.commit()
    async with uow_factory() as uow:
        stale = await uow.shifts.get(shift.key)
    async with uow_factory() as uow:
        closing = await uow.shifts.get(shift.key, for_update=True)
        assert closing is not None
        closing.close(counted_cash=0, note=None, by="a", by_name="a", now=NOW)
        await uow.shifts.update(closing)
        await uow.commit()

    assert stale is not None
    stale.record_cash_payment(10_000)  # a cash payment that read the shift before the close
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.shifts.update(stale)
    async with uow_factory(read_only=True) as uow:
        stored = await uow.shifts.get(shift.key)
        assert stored is not None
        assert stored.cash_payments == 0


async def test_cash_movements_are_kept_with_their_shift(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        shift = await open_shift_in(uow)
        movement = shift.move_cash(
            kind=CashMovementKind.PAID_IN,
            amount=20_000,
            reason="change from the safe",
            staff_id="token:kasir",
            staff_name="kasir",
            now=NOW,
        )
        await uow.shifts.update(shift)
        stored = await uow.shifts.add_movement(movement)
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        assert await uow.shifts.list_movements(shift.key) == [stored]
        assert stored.id is not None


async def test_refunds_round_trip_and_list_by_status(uow_factory: UnitOfWorkFactory) -> None:
    order, payment = await paid_order(uow_factory)
    async with uow_factory() as uow:
        locked = await uow.orders.get(order.key, for_update=True)
        assert locked is not None
        by_lines = Refund.request(
            order=locked,
            paid_by=payment,
            earlier=[],
            amount=None,
            lines=[RefundLine(1, 1)],
            reason="cold",
            requested_by="account:2",
            requested_by_name="Budi",
            now=NOW,
        )
        await uow.orders.update(locked)
        await uow.refunds.add(by_lines)
        await uow.commit()
    async with uow_factory() as uow:
        refund = await uow.refunds.get(by_lines.key, for_update=True)
        assert refund == by_lines
        refund.approve(by="account:1", by_name="Ana", now=NOW, shift_id=1)
        await uow.refunds.update(refund)
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        assert [r.key for r in await uow.refunds.list(status=RefundStatus.APPROVED)] == [refund.key]
        assert await uow.refunds.list(status=RefundStatus.REQUESTED) == []
        [stored] = await uow.refunds.list_for_order(order.key)
        assert (stored.lines, stored.amount, stored.shift_id) == ((RefundLine(1, 1),), 25_000, 1)
        reread = await uow.orders.get(order.key)
        assert reread is not None
        assert reread.refund_reserved == 25_000


async def test_one_system_request_per_flagged_payment(uow_factory: UnitOfWorkFactory) -> None:
    _, payment = await paid_order(uow_factory)
    payment.require_refund(reason="paid twice", now=NOW)
    async with uow_factory() as uow:
        await uow.refunds.add(Refund.flagged_by_kasir(payment=payment, now=NOW))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.refunds.add(Refund.flagged_by_kasir(payment=payment, now=NOW))
    async with uow_factory(read_only=True) as uow:
        found = await uow.refunds.find_flagged(payment.attempt_id)
        assert found is not None
        assert found.flagged


# --- the schema holds the rules without the application --------------------------------------


async def _fails(engine: AsyncEngine, statement: str, row_id: int) -> None:
    with pytest.raises(DBAPIError):
        async with engine.begin() as connection:
            await connection.execute(text(statement), {"id": row_id})


async def test_the_database_refuses_refunds_above_what_was_paid(sql_engine: AsyncEngine) -> None:
    order, _ = await paid_order(_factory(sql_engine))

    await _fails(
        sql_engine, "UPDATE orders SET refund_reserved = total + 1 WHERE id = :id", order.key
    )
    await _fails(sql_engine, "UPDATE orders SET refund_reserved = -1 WHERE id = :id", order.key)


async def test_the_database_keeps_one_open_shift_per_staff_member_and_closed_shifts_fixed(
    sql_engine: AsyncEngine,
) -> None:
    uow_factory = _factory(sql_engine)
    async with uow_factory() as uow:
        shift = await open_shift_in(uow, "sari", 100_000)
        await uow.commit()
    insert_open = (
        "INSERT INTO shifts (staff_id, staff_name, status, opening_float, opened_at) "
        "VALUES ('token:sari', 'sari', 'open', 0, CURRENT_TIMESTAMP)"
    )
    await _fails(sql_engine, insert_open, 0)
    # The expected cash of a closed shift is the drawer arithmetic, nothing else.
    await _fails(
        sql_engine,
        "UPDATE shifts SET status = 'closed', closed_at = CURRENT_TIMESTAMP, counted_cash = 0, "
        "expected_at_close = 1 WHERE id = :id",
        shift.key,
    )
    async with sql_engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE shifts SET status = 'closed', closed_at = CURRENT_TIMESTAMP, "
                "counted_cash = 0, expected_at_close = 100000 WHERE id = :id"
            ),
            {"id": shift.key},
        )
    # Closed: not even its note or its count changes (the trigger, the CHECKs all hold).
    await _fails(sql_engine, "UPDATE shifts SET note = 'fixed' WHERE id = :id", shift.key)
    await _fails(sql_engine, "UPDATE shifts SET counted_cash = 100000 WHERE id = :id", shift.key)


def _factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    return SqlAlchemyUnitOfWorkFactory(engine)
