"""SQLite runs inline on the event loop: no thread per connection, no busy wait and no WAL
checkpoint on the loop (adapters/sqlalchemy/sqlite_inline.py, sqlite_checkpointer.py)."""

import asyncio
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.loop_turns import loop_turns

from adapters.sqlalchemy import sqlite_inline
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.errors import DatabaseBusy
from adapters.sqlalchemy.sqlite_checkpointer import THREAD_NAME
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from domain.menu import MenuItem


def database_path(engine: AsyncEngine) -> Path:
    database = engine.url.database
    assert database is not None
    return Path(database)


@contextmanager
def write_lock_held_elsewhere(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's writer, as far as SQLite knows: a plain sqlite3 connection in
    BEGIN IMMEDIATE. Committing it releases the lock."""
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield holder
        finally:
            if holder.in_transaction:
                holder.rollback()


async def add_item(factory: SqlAlchemyUnitOfWorkFactory, name: str) -> None:
    async with factory() as uow:
        await uow.menu.add(MenuItem.create(name=name, price=1_000))
        await uow.commit()


def names_in_main_file_only(path: Path, scratch: Path) -> set[str]:
    """The menu names the main database file holds by itself, without its WAL."""
    copy = scratch / "main-file-only.db"
    copy.unlink(missing_ok=True)
    shutil.copyfile(path, copy)
    try:
        with closing(sqlite3.connect(copy)) as connection:
            return {name for (name,) in connection.execute("SELECT name FROM menu_items")}
    except sqlite3.DatabaseError:  # copied halfway through a checkpoint: look again
        return set()


def wal_is_empty_or_gone(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    return not wal.exists() or wal.stat().st_size == 0


def checkpointers(path: Path) -> list[threading.Thread]:
    """The checkpoint threads of engines on this database file."""
    name = f"{THREAD_NAME} {path}"
    return [thread for thread in threading.enumerate() if thread.name == name]


async def test_a_writer_meeting_another_process_lock_waits_while_the_loop_keeps_serving(
    sqlite_engine: AsyncEngine,
) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sqlite_engine)
    with write_lock_held_elsewhere(database_path(sqlite_engine)) as holder:
        writer = asyncio.create_task(add_item(factory, "Waited"))
        turns = 0
        for _ in range(30):  # other coroutines keep running while the writer waits
            await asyncio.sleep(0.005)
            turns += 1
        assert turns == 30
        assert not writer.done()  # still waiting for the lock, neither failed nor blocking
        holder.commit()
        await asyncio.wait_for(writer, timeout=5)
    async with factory(read_only=True) as uow:
        assert [item.name for item in await uow.menu.list()] == ["Waited"]


async def test_a_writer_gives_database_busy_once_the_busy_budget_is_spent(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_BUDGET_SECONDS", 0.1)
    factory = SqlAlchemyUnitOfWorkFactory(sqlite_engine)
    with write_lock_held_elsewhere(database_path(sqlite_engine)):
        async with loop_turns(0.001) as turns:
            with pytest.raises(DatabaseBusy):
                await add_item(factory, "Refused")
        assert turns.count > 1  # the loop ran other work during the wait
    await add_item(factory, "Later")  # nothing was left half-open


async def test_serving_connections_need_no_thread_of_their_own(
    sqlite_engine: AsyncEngine,
) -> None:
    before = threading.active_count()
    connections = [await sqlite_engine.connect() for _ in range(4)]
    try:
        for connection in connections:
            await connection.exec_driver_sql("SELECT 1")
        # At most the engine's one checkpoint thread, whatever the number of connections.
        assert threading.active_count() <= before + 1
    finally:
        for connection in connections:
            await connection.close()


async def test_commits_reach_the_main_database_file_in_the_background(
    sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sqlite_engine)
    path = database_path(sqlite_engine)
    for name in ("Sate", "Soto", "Bakso"):
        await add_item(factory, name)
    # SQLite's own autocheckpoint would wait for 1,000 pages of WAL; the checkpointer thread
    # copies these few commits into the main file within its interval.
    async with asyncio.timeout(10):
        while names_in_main_file_only(path, tmp_path) != {"Sate", "Soto", "Bakso"}:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_the_checkpointer_runs_with_the_engine_and_stops_at_dispose(tmp_path: Path) -> None:
    path = tmp_path / "kasir.db"
    engine = create_engine_for(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
            await connection.exec_driver_sql("INSERT INTO notes VALUES ('kept')")
        assert len(checkpointers(path)) == 1
    finally:
        await engine.dispose()
    assert checkpointers(path) == []
    # Its final checkpoint left everything in the main file and the WAL empty or gone.
    assert wal_is_empty_or_gone(path)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        assert connection.execute("SELECT body FROM notes").fetchall() == [("kept",)]
    # An engine used again after dispose starts a new one, and stops it again.
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
        assert len(checkpointers(path)) == 1
    finally:
        await engine.dispose()
    assert checkpointers(path) == []


async def test_an_in_memory_database_runs_without_a_checkpointer() -> None:
    engine = create_engine_for("sqlite+aiosqlite:///:memory:")
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
        assert checkpointers(Path(":memory:")) == []
    finally:
        await engine.dispose()
