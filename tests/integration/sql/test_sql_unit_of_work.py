"""What the SQL unit of work adds to the contract: locking, time zones, engine settings."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

from adapters.sqlalchemy import sqlite_inline
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.errors import DatabaseBusy
from adapters.sqlalchemy.migrate import upgrade_engine
from adapters.sqlalchemy.tables import payments
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.errors import ConcurrentUpdate
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment

NOW = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
WITA = timezone(timedelta(hours=8))


async def stored_order(factory: SqlAlchemyUnitOfWorkFactory) -> Order:
    item = MenuItem.create(name="Sate", price=30_000)
    async with factory() as uow:
        await uow.menu.add(item)
        order = Order.place(items=[(item, 1)], access_token_hash="h", now=NOW)
        await uow.orders.add(order)
        await uow.commit()
    return order


@pytest.fixture
async def second_sqlite_engine(sqlite_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """Another engine on the same SQLite file: another worker process, as far as SQLite knows."""
    engine = create_engine_for(sqlite_engine.url.render_as_string(hide_password=False))
    yield engine
    await engine.dispose()


async def test_times_read_back_as_aware_utc_whatever_zone_they_were_written_in(
    sql_engine: AsyncEngine,
) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sql_engine)
    order = await stored_order(factory)
    async with factory() as uow:
        attempt = Payment.start_qris(
            order=order, attempt_id="KSR-tz", now=datetime(2026, 3, 4, 13, 6, 7, 123456, WITA)
        )
        await uow.payments.add(attempt)
        await uow.commit()
    async with factory(read_only=True) as uow:
        stored = await uow.payments.get("KSR-tz")
        stale = await uow.payments.list_stale_creating(created_before=NOW, limit=5)
        not_stale = await uow.payments.list_stale_creating(
            created_before=NOW - timedelta(microseconds=1), limit=5
        )
    assert stored is not None
    assert stored.created_at == NOW
    assert stored.created_at.tzinfo is UTC
    assert stale == []  # created exactly at NOW is not "before NOW"
    assert not_stale == []
    async with factory(read_only=True) as uow:
        later = await uow.payments.list_stale_creating(
            created_before=NOW + timedelta(microseconds=1), limit=5
        )
    assert [p.attempt_id for p in later] == ["KSR-tz"]


async def test_a_naive_datetime_is_refused(sql_engine: AsyncEngine) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sql_engine)
    async with factory(read_only=True) as uow:
        with pytest.raises(Exception, match="naive datetime"):
            await uow.payments.list_stale_creating(
                created_before=datetime(2026, 1, 1),  # noqa: DTZ001
                limit=1,
            )


async def test_updates_leave_the_reconciliation_lease_columns_alone(
    sql_engine: AsyncEngine,
) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sql_engine)
    order = await stored_order(factory)
    async with factory() as uow:
        await uow.payments.add(Payment.start_qris(order=order, attempt_id="KSR-lease", now=NOW))
        await uow.commit()
    lease = {
        "lease_owner": "worker-7",
        "lease_until": NOW + timedelta(minutes=1),
        "next_check_at": NOW + timedelta(minutes=5),
        "check_count": 3,
    }
    async with sql_engine.begin() as connection:
        await connection.execute(
            update(payments).where(payments.c.order_uid == "KSR-lease").values(**lease)
        )
    async with factory() as uow:
        attempt = await uow.payments.get("KSR-lease")
        assert attempt is not None
        attempt.fail(reason="refused", now=NOW)
        await uow.payments.update(attempt)
        await uow.commit()
    columns = [payments.c[name] for name in lease]
    async with sql_engine.connect() as connection:
        row = (
            await connection.execute(select(*columns).where(payments.c.order_uid == "KSR-lease"))
        ).one()
    assert dict(row._mapping) == lease


async def test_a_new_payment_row_starts_with_no_lease(sql_engine: AsyncEngine) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sql_engine)
    order = await stored_order(factory)
    async with factory() as uow:
        await uow.payments.add(Payment.start_qris(order=order, attempt_id="KSR-new", now=NOW))
        await uow.commit()
    async with sql_engine.connect() as connection:
        row = (
            await connection.execute(
                select(
                    payments.c.lease_owner,
                    payments.c.lease_until,
                    payments.c.next_check_at,
                    payments.c.check_count,
                ).where(payments.c.order_uid == "KSR-new")
            )
        ).one()
    assert tuple(row) == (None, None, None, 0)


async def test_an_update_applies_only_in_the_status_that_was_read(
    sql_engine: AsyncEngine,
) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sql_engine)
    order = await stored_order(factory)
    async with factory() as uow:
        await uow.payments.add(Payment.start_qris(order=order, attempt_id="KSR-st", now=NOW))
        await uow.commit()
    async with factory() as uow:
        attempt = await uow.payments.get("KSR-st")
        assert attempt is not None
        # Someone changes the status without bumping the version (a buggy script, say).
        await uow.payments._session.execute(
            update(payments).where(payments.c.order_uid == "KSR-st").values(status="failed")
        )
        attempt.cancel(reason="abandoned", now=NOW)
        with pytest.raises(ConcurrentUpdate):
            await uow.payments.update(attempt)


async def test_sqlite_connections_use_wal_and_foreign_keys_and_never_wait_or_checkpoint_inline(
    sqlite_engine: AsyncEngine,
) -> None:
    names = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous", "wal_autocheckpoint")
    async with sqlite_engine.connect() as connection:
        pragmas = {
            name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar() for name in names
        }
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 0,  # busy waits happen on an asyncio back-off, not in SQLite
        "synchronous": 1,  # NORMAL, as always
        "wal_autocheckpoint": 0,  # checkpoints run in a background thread
    }


async def test_a_sqlite_writer_holds_the_write_lock_from_the_moment_it_starts(
    sqlite_engine: AsyncEngine, second_sqlite_engine: AsyncEngine
) -> None:
    first = SqlAlchemyUnitOfWorkFactory(sqlite_engine)
    second = SqlAlchemyUnitOfWorkFactory(second_sqlite_engine)
    entered = asyncio.Event()

    async def other_writer() -> None:
        async with second():
            entered.set()

    async with first():
        task = asyncio.create_task(other_writer())
        await asyncio.sleep(0.3)
        # The first writer has not written anything, yet the second one cannot begin.
        assert not entered.is_set()
    await asyncio.wait_for(task, timeout=5)
    assert entered.is_set()


async def test_a_sqlite_reader_does_not_wait_for_a_writer(
    sqlite_engine: AsyncEngine, second_sqlite_engine: AsyncEngine
) -> None:
    writer = SqlAlchemyUnitOfWorkFactory(sqlite_engine)
    reader = SqlAlchemyUnitOfWorkFactory(second_sqlite_engine)
    order = await stored_order(writer)
    async with writer() as write_uow:
        stored = await write_uow.orders.get(order.key)
        assert stored is not None
        stored.cancel(by="kasir", now=NOW)
        await write_uow.orders.update(stored)
        async with asyncio.timeout(1):
            async with reader(read_only=True) as read_uow:
                seen = await read_uow.orders.get(order.key)
        assert seen == order  # the reader sees the last committed state


async def test_a_sqlite_database_locked_past_the_busy_timeout_is_a_retryable_error(
    sqlite_engine: AsyncEngine,
    second_sqlite_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_BUDGET_SECONDS", 0.05)
    first = SqlAlchemyUnitOfWorkFactory(sqlite_engine)
    second = SqlAlchemyUnitOfWorkFactory(second_sqlite_engine)
    async with first():
        with pytest.raises(DatabaseBusy) as raised:
            async with second():
                pass
    assert isinstance(raised.value, ConcurrentUpdate)
    assert "locked" not in raised.value.message
    async with second() as uow:  # the lock is free again, and nothing is left half-open
        await uow.menu.add(MenuItem.create(name="After", price=1))
        await uow.commit()


@pytest.mark.postgres
async def test_postgres_for_update_makes_a_second_locker_wait_until_the_first_commits(
    postgres_engine: AsyncEngine,
) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(postgres_engine)
    order = await stored_order(factory)
    async with factory() as uow:
        await uow.payments.add(Payment.start_qris(order=order, attempt_id="KSR-lock", now=NOW))
        await uow.commit()
    got_lock = asyncio.Event()

    async def second_locker() -> str:
        async with factory() as uow:
            attempt = await uow.payments.get("KSR-lock", for_update=True)
            got_lock.set()
            assert attempt is not None
            return attempt.status.value

    async with factory() as uow:
        attempt = await uow.payments.get("KSR-lock", for_update=True)
        assert attempt is not None
        task = asyncio.create_task(second_locker())
        await asyncio.sleep(0.3)
        assert not got_lock.is_set()
        attempt.fail(reason="refused", now=NOW)
        await uow.payments.update(attempt)
        await uow.commit()
    assert await asyncio.wait_for(task, timeout=5) == "failed"


async def test_an_in_memory_sqlite_engine_shares_one_migrated_database() -> None:
    engine = create_engine_for("sqlite+aiosqlite:///:memory:")
    try:
        assert isinstance(engine.pool, StaticPool)
        await upgrade_engine(engine)
        factory = SqlAlchemyUnitOfWorkFactory(engine)
        order = await stored_order(factory)
        async with factory(read_only=True) as uow:
            assert await uow.orders.get(order.key) == order
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_a_unit_of_work_is_used_inside_async_with_only(sql_engine: AsyncEngine) -> None:
    uow = SqlAlchemyUnitOfWorkFactory(sql_engine)()
    with pytest.raises(RuntimeError):
        _ = uow.payments
    with pytest.raises(RuntimeError):
        await uow.commit()
