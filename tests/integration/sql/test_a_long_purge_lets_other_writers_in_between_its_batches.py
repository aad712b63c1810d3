"""A purge of many batches on SQLite lets other writers in between its batches: requests on
the server's own event loop (a SQLite batch never suspends the loop) and a writer in another
process that polls for the write lock (`kasir reconcile` from cron beside a server)."""

import asyncio
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.inbox_entries import duitku_entry
from tests.support.loop_turns import loop_turns

from adapters.in_memory.clock import SettableClock
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.use_cases.notification_inbox import RemoveExpiredPersonalData

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
BATCHES = 20


async def purge_of_many_batches(engine: AsyncEngine) -> RemoveExpiredPersonalData:
    """A purge with BATCHES batches of two year-old entries to blank."""
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    async with factory() as uow:
        for index in range(BATCHES * 2):
            await uow.inbox.add(
                duitku_entry(index, received_at=NOW - timedelta(days=365, seconds=index))
            )
        await uow.commit()
    return RemoveExpiredPersonalData(
        factory,
        SettableClock(NOW),
        personal_fields=frozenset({"customerName"}),
        batch_size=2,
        max_batches=BATCHES,
    )


async def test_the_event_loop_serves_other_requests_while_a_purge_runs(
    sqlite_engine: AsyncEngine,
) -> None:
    purge = await purge_of_many_batches(sqlite_engine)

    async with loop_turns() as turns:
        assert await purge.execute() == BATCHES * 2

    assert turns.count >= BATCHES - 1  # a turn at least between every two batches


def blanked(connection: sqlite3.Connection) -> int:
    (count,) = connection.execute(
        "SELECT count(*) FROM notification_inbox WHERE personal_data_removed_at IS NOT NULL"
    ).fetchone()
    return int(count)


def write_as_another_process(path: Path) -> int:
    """Once the purge has committed its first batch, insert a row through a plain sqlite3
    connection that waits in SQLite's own busy handler, as another process's writer does.
    Returns how many entries the purge had blanked when that write committed."""
    with closing(sqlite3.connect(path, isolation_level=None, timeout=30)) as connection:
        deadline = time.monotonic() + 10
        while blanked(connection) < 2 and time.monotonic() < deadline:
            time.sleep(0.0005)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO menu_items (name, price, available) VALUES ('Es teh', 5000, 1)"
        )
        connection.execute("COMMIT")
        return blanked(connection)


async def test_a_writer_in_another_process_gets_the_lock_before_a_long_purge_ends(
    sqlite_engine: AsyncEngine,
) -> None:
    purge = await purge_of_many_batches(sqlite_engine)
    database = sqlite_engine.url.database
    assert database is not None

    writer = asyncio.to_thread(write_as_another_process, Path(database))
    blanked_when_written, purged = await asyncio.gather(writer, purge.execute())

    assert purged == BATCHES * 2
    assert 2 <= blanked_when_written < purged
