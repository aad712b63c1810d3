"""Units of work: all or nothing. An exception or a missing commit leaves nothing written;
a lost race is re-run on fresh reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import ConcurrentUpdate
from application.retry import retry_on_conflict
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir, Menu


class RuleBroken(Exception):
    pass


async def test_an_uncommitted_unit_of_work_writes_nothing(kasir: Kasir, menu: Menu) -> None:
    before = kasir.snapshot()

    async with kasir.uow() as uow:
        await uow.menu.add(MenuItem.create(name="Sate ayam", price=30_000))
        order = Order.place(
            items=[(menu.nasi_goreng, 1)],
            access_token_hash="hash",
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
        await uow.orders.add(order)
        assert await uow.orders.get(order.key) is not None  # visible inside, before commit

    assert kasir.snapshot() == before
    async with kasir.uow(read_only=True) as uow:
        assert await uow.orders.get(order.key) is None
        assert len(await uow.menu.list()) == 2


async def test_an_exception_inside_a_unit_of_work_leaves_nothing_half_written(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    before = kasir.snapshot()

    async def cancel_with_a_stale_attempt() -> None:
        async with kasir.uow() as uow:
            stored = await uow.orders.get(order.key)
            assert stored is not None
            stored.cancel(by="staff:sari", now=kasir.clock.now())
            await uow.orders.update(stored)  # the first write succeeds
            stale = await uow.payments.get(attempt.attempt_id)
            assert stale is not None
            stale.version -= 1  # as if another transaction had changed it since
            stale.cancel(reason="order cancelled", now=kasir.clock.now())
            await uow.payments.update(stale)  # the second write raises
            await uow.commit()

    with pytest.raises(ConcurrentUpdate):
        await cancel_with_a_stale_attempt()

    assert kasir.snapshot() == before
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT


async def test_a_use_case_whose_last_write_fails_leaves_nothing_written_and_publishes_nothing(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    before = kasir.snapshot()
    kasir.uow.order_writes_fail = True

    with pytest.raises(Exception, match="could not be written") as caught:
        # cancels the QR and adds the cash payment, then fails to write the order
        await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    assert caught.type.__name__ == "StorageFailure"

    assert kasir.snapshot() == before
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.PENDING
    assert kasir.events.published == []
    assert kasir.business_commits() == []
    assert not kasir.store.write_lock.locked()

    kasir.uow.order_writes_fail = False
    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id


async def test_a_read_only_unit_of_work_refuses_writes(kasir: Kasir, menu: Menu) -> None:
    async with kasir.uow(read_only=True) as uow:
        item = await uow.menu.get(menu.nasi_goreng.id or 0)
        assert item is not None
        item.update(price=1)
        with pytest.raises(RuntimeError, match="read-only"):
            await uow.menu.update(item)

    assert kasir.store.menu[1].price == 25_000


async def test_a_write_based_on_a_stale_read_is_refused(kasir: Kasir, order: Order) -> None:
    async with kasir.uow() as uow:
        first = await uow.orders.get(order.key)
        second = await uow.orders.get(order.key)
        assert first is not None
        assert second is not None
        first.cancel(by="staff:sari", now=kasir.clock.now())
        await uow.orders.update(first)
        second.mark_paid(attempt_id="KSR-X", now=kasir.clock.now())
        with pytest.raises(ConcurrentUpdate):
            await uow.orders.update(second)
        await uow.commit()

    assert kasir.order(order.key).status is OrderStatus.CANCELLED


async def test_a_lost_race_is_run_again_until_it_wins() -> None:
    runs: list[int] = []

    async def transaction() -> str:
        runs.append(len(runs))
        if len(runs) < 3:
            raise ConcurrentUpdate("lost the race")
        return "done"

    assert await retry_on_conflict(transaction) == "done"
    assert runs == [0, 1, 2]


async def test_a_race_lost_every_time_gives_up_after_the_last_attempt() -> None:
    runs: list[int] = []

    async def transaction() -> str:
        runs.append(1)
        raise ConcurrentUpdate("lost the race")

    with pytest.raises(ConcurrentUpdate):
        await retry_on_conflict(transaction, attempts=4)
    assert len(runs) == 4


async def test_other_errors_are_not_retried() -> None:
    runs: list[int] = []

    async def transaction() -> str:
        runs.append(1)
        raise RuleBroken("a rule said no")

    with pytest.raises(RuleBroken):
        await retry_on_conflict(transaction)
    assert runs == [1]
