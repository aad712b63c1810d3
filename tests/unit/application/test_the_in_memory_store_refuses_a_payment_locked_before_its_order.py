"""The in-memory unit of work checks the one lock order of every write: an order's row, then
its payments' rows. It serializes writers and so cannot deadlock itself; refusing the order
that deadlocks on PostgreSQL lets every use case test catch a transaction that breaks it."""

from datetime import UTC, datetime

import pytest

from adapters.in_memory.repositories import LockOrderViolation
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def stored_order_with_attempt(factory: InMemoryUnitOfWorkFactory) -> Order:
    async with factory() as uow:
        item = MenuItem.create(name="Nasi goreng", price=25_000)
        await uow.menu.add(item)
        order = Order.place(items=[(item, 1)], access_token_hash="h", now=NOW)
        await uow.orders.add(order)
        await uow.payments.add(Payment.start_qris(order=order, attempt_id="KSR-1", now=NOW))
        await uow.commit()
    return order


async def test_locking_an_order_after_its_locked_payment_is_refused() -> None:
    factory = InMemoryUnitOfWorkFactory()
    order = await stored_order_with_attempt(factory)

    async with factory() as uow:
        await uow.payments.get("KSR-1", for_update=True)
        with pytest.raises(LockOrderViolation):
            await uow.orders.get(order.key, for_update=True)


async def test_writing_an_order_after_writing_its_payment_is_refused() -> None:
    factory = InMemoryUnitOfWorkFactory()
    order = await stored_order_with_attempt(factory)

    async with factory() as uow:
        attempt = await uow.payments.get("KSR-1")
        stored = await uow.orders.get(order.key)
        assert attempt is not None
        assert stored is not None
        attempt.cancel(reason="test", now=NOW)
        await uow.payments.update(attempt)  # an UPDATE locks the row, as FOR UPDATE does
        stored.cancel(by="alice", now=NOW)
        with pytest.raises(LockOrderViolation):
            await uow.orders.update(stored)


async def test_the_order_then_its_payments_is_the_order_every_write_may_take() -> None:
    factory = InMemoryUnitOfWorkFactory()
    order = await stored_order_with_attempt(factory)

    async with factory() as uow:
        stored = await uow.orders.get(order.key, for_update=True)
        attempt = await uow.payments.get("KSR-1", for_update=True)
        assert stored is not None
        assert attempt is not None
        attempt.cancel(reason="order cancelled", now=NOW)
        stored.cancel(by="alice", now=NOW)
        await uow.payments.update(attempt)
        await uow.orders.update(stored)  # locked first: a later write of it is fine
        await uow.commit()


async def test_reading_without_a_lock_takes_no_lock() -> None:
    factory = InMemoryUnitOfWorkFactory()
    order = await stored_order_with_attempt(factory)

    async with factory() as uow:
        await uow.payments.get("KSR-1")  # only learns which order: no lock yet
        assert await uow.orders.get(order.key, for_update=True) is not None
        assert await uow.payments.get("KSR-1", for_update=True) is not None
