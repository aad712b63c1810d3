"""Concurrent writers on SQLite and PostgreSQL, at the repository level.

Several engines stand for several worker processes, so the database's own locking is tested,
not only the in-process queue of SQLite writers.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.tables import payments
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.errors import ConcurrentUpdate
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment, PaymentStatus

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
PROCESSES = 3
TASKS = 50
ATTEMPTS = 5


@pytest.fixture
async def factories(sql_engine: AsyncEngine) -> AsyncIterator[list[SqlAlchemyUnitOfWorkFactory]]:
    """One unit of work factory per simulated worker process, each with its own engine."""
    url = sql_engine.url.render_as_string(hide_password=False)
    engines = [sql_engine] + [create_engine_for(url) for _ in range(PROCESSES - 1)]
    yield [SqlAlchemyUnitOfWorkFactory(engine) for engine in engines]
    for engine in engines[1:]:
        await engine.dispose()


async def placed_order(factory: SqlAlchemyUnitOfWorkFactory) -> Order:
    item = MenuItem.create(name="Nasi goreng", price=25_000)
    async with factory() as uow:
        await uow.menu.add(item)
        order = Order.place(items=[(item, 2)], access_token_hash="h", now=NOW)
        await uow.orders.add(order)
        await uow.commit()
    return order


async def test_of_fifty_concurrent_confirmations_exactly_one_applies_the_success(
    factories: list[SqlAlchemyUnitOfWorkFactory],
) -> None:
    order = await placed_order(factories[0])
    async with factories[0]() as uow:
        attempt = Payment.start_qris(order=order, attempt_id="KSR-race", now=NOW)
        attempt.mark_issued(
            gateway_reference="REF-race",
            qr_string="qr",
            payment_url="https://pay.example",
            expires_at=NOW + timedelta(minutes=15),
            now=NOW,
        )
        await uow.payments.add(attempt)
        await uow.commit()
    start = asyncio.Event()

    async def confirm(factory: SqlAlchemyUnitOfWorkFactory) -> bool:
        await start.wait()
        for _ in range(ATTEMPTS):
            try:
                async with factory() as uow:
                    payment = await uow.payments.get("KSR-race")
                    assert payment is not None
                    if payment.status is PaymentStatus.SUCCEEDED:
                        return False
                    payment.confirm_success(amount=order.total, now=NOW)
                    await uow.payments.update(payment)
                    await uow.commit()
                    return True
            except ConcurrentUpdate:
                continue
        raise AssertionError("no decision after retries")

    tasks = [asyncio.create_task(confirm(factories[n % len(factories)])) for n in range(TASKS)]
    start.set()
    transitions = await asyncio.gather(*tasks)

    assert transitions.count(True) == 1
    async with factories[0](read_only=True) as uow:
        stored = await uow.payments.get("KSR-race")
    assert stored is not None
    assert stored.status is PaymentStatus.SUCCEEDED
    assert stored.version == 1


async def test_of_two_concurrent_open_qris_attempts_for_one_order_exactly_one_is_stored(
    factories: list[SqlAlchemyUnitOfWorkFactory], sql_engine: AsyncEngine
) -> None:
    order = await placed_order(factories[0])
    looked = 0
    both_looked = asyncio.Event()

    async def open_attempt(factory: SqlAlchemyUnitOfWorkFactory, uid: str) -> bool:
        nonlocal looked
        async with factory() as uow:
            if await uow.payments.find_open_qris(order.key) is not None:
                return False
            looked += 1
            if looked == 2:
                both_looked.set()
            # On PostgreSQL both transactions now saw no open attempt; on SQLite the second
            # writer is still waiting for BEGIN IMMEDIATE, so do not wait for it forever.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(both_looked.wait(), timeout=0.3)
            try:
                await uow.payments.add(Payment.start_qris(order=order, attempt_id=uid, now=NOW))
            except ConcurrentUpdate:
                return False
            await uow.commit()
            return True

    outcomes = await asyncio.gather(
        open_attempt(factories[0], "KSR-a"), open_attempt(factories[1], "KSR-b")
    )

    assert sorted(outcomes) == [False, True]
    async with sql_engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(payments).where(payments.c.order_id == order.key)
        )
    assert count == 1


async def test_of_concurrent_status_check_claims_for_one_attempt_exactly_one_wins(
    factories: list[SqlAlchemyUnitOfWorkFactory],
) -> None:
    order = await placed_order(factories[0])
    async with factories[0]() as uow:
        await uow.payments.add(Payment.start_qris(order=order, attempt_id="KSR-poll", now=NOW))
        await uow.commit()
    start = asyncio.Event()

    async def claim(factory: SqlAlchemyUnitOfWorkFactory) -> bool:
        await start.wait()
        async with factory() as uow:
            claimed = await uow.payments.claim_status_check(
                "KSR-poll", now=NOW, min_interval=timedelta(seconds=30)
            )
            await uow.commit()
        return claimed

    tasks = [asyncio.create_task(claim(factories[n % len(factories)])) for n in range(20)]
    start.set()
    assert (await asyncio.gather(*tasks)).count(True) == 1
