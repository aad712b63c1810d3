"""sqlite3 run inline on the event loop, shaped like an aiosqlite connection for SQLAlchemy.

aiosqlite hands every DBAPI call (cursor, execute, fetch, close, commit) to its own thread and
back: about 80 µs each, against about 5 µs for the statement itself. SQLAlchemy's
`sqlite+aiosqlite` dialect accepts any connection with aiosqlite's async surface through
`create_async_engine(async_creator=...)`, so this module gives it one whose coroutines call
sqlite3 directly and finish without ever suspending, except in one case:

SQLITE_BUSY. A serving connection has `busy_timeout=0`, so SQLite never sleeps in its busy
handler on the loop thread; it returns SQLITE_BUSY at once. The statement is then retried
after an `asyncio.sleep` back-off (1 ms doubling to 50 ms, BUSY_BUDGET_SECONDS in all, the busy
timeout kasir always had) while the loop serves other requests, and after the budget the last
"database is locked" error is raised as before (the unit of work turns it into DatabaseBusy).

Which statements are retried: those that fail with the plain SQLITE_BUSY (or BUSY_RECOVERY)
code, exactly where SQLite's own busy handler would have waited. In WAL mode these are: a
`BEGIN IMMEDIATE` meeting another connection's write lock (the write units of work), a write
inside a deferred transaction meeting it (a failed statement changes nothing, so repeating it is
safe), an autocommit statement, or a COMMIT. SQLITE_BUSY_SNAPSHOT (a deferred transaction whose
snapshot is older than the lock holder's commit) is never retried: it cannot succeed, and SQLite
returns it without waiting either; it is raised at once, as today.

The cost of inline calls: a statement holds the loop for its duration. kasir's statements are
indexed point reads and writes of a few µs; the longer ones (the reports over a period, the
personal-data purge, migrations at start-up) hold the loop for as long as they run, as a
CPU-bound handler would (see docs/architecture.md). WAL checkpoints, the one slow thing
(an fsync) a commit would otherwise trigger, run in a background thread (sqlite_checkpointer).
"""

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, Literal, Self, TypeVar

from sqlalchemy.engine import Connection

from adapters.sqlalchemy.sqlite_checkpointer import WalCheckpointer

T = TypeVar("T")
# sqlite3's: None (autocommit mode, as kasir sets it) or the kind of BEGIN it would emit.
IsolationLevel = Literal["DEFERRED", "EXCLUSIVE", "IMMEDIATE"] | None

BUSY_BUDGET_SECONDS = 5.0
_FIRST_PAUSE_SECONDS = 0.001
_LONGEST_PAUSE_SECONDS = 0.05
# Extended result codes: not SQLITE_BUSY_SNAPSHOT, nor SQLITE_BUSY_TIMEOUT.
_RETRIED_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_BUSY_RECOVERY})

# Run on every serving connection. busy_timeout=0: never wait in SQLite's busy handler on the
# loop (see above). wal_autocheckpoint=0: no checkpoint (an fsync) inside a commit on the loop;
# the WalCheckpointer thread does them. synchronous=NORMAL with WAL is what kasir always ran.
INLINE_PRAGMAS = (
    "PRAGMA busy_timeout=0",
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA wal_autocheckpoint=0",
)


# Execution option read by begin_sqlite_transaction: "IMMEDIATE" or "DEFERRED" (the default).
SQLITE_BEGIN = "kasir_sqlite_begin"
_BEGIN_STATEMENTS = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN"}


def begin_sqlite_transaction(connection: Connection) -> None:
    """SQLAlchemy's `begin` listener on a SQLite engine: emit the BEGIN that sqlite3 no longer
    emits (its `isolation_level` is None on these connections), `BEGIN IMMEDIATE` for a write
    unit of work (execution option SQLITE_BEGIN), so its write lock is taken at the start and
    two read-decide-write transactions cannot interleave."""
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        # SQLAlchemy's AUTOCOMMIT: every statement commits by itself. A BEGIN here would open
        # a transaction nobody commits, and the statement would be rolled back at close.
        return
    connection.exec_driver_sql(_BEGIN_STATEMENTS[options.get(SQLITE_BEGIN, "DEFERRED")])


def is_retried_busy(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY where SQLite's busy handler would wait (not BUSY_SNAPSHOT)."""
    return getattr(error, "sqlite_errorcode", None) in _RETRIED_BUSY_CODES


async def while_busy(call: Callable[[], T]) -> T:
    """`call()`, repeated on an asyncio back-off while it fails with a retried SQLITE_BUSY, for
    up to BUSY_BUDGET_SECONDS; then its last error."""
    try:
        return call()
    except sqlite3.OperationalError as error:
        if not is_retried_busy(error):
            raise
    deadline = time.monotonic() + BUSY_BUDGET_SECONDS
    pause = _FIRST_PAUSE_SECONDS
    while True:
        left = deadline - time.monotonic()
        await asyncio.sleep(max(0.0, min(pause, left)))
        pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not is_retried_busy(error) or time.monotonic() >= deadline:
                raise


def _run(connection: sqlite3.Connection, statement: str) -> None:
    connection.execute(statement).close()


class InlineCursor:
    """aiosqlite.Cursor's surface over a sqlite3 cursor, called inline."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = None) -> Self:
        cursor = self._cursor
        arguments = () if parameters is None else parameters
        await while_busy(lambda: cursor.execute(sql, arguments))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Self:
        cursor = self._cursor
        rows = list(parameters)  # an iterator could not be replayed after SQLITE_BUSY
        await while_busy(lambda: cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return self._cursor.fetchmany()
        return self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _InlineQueue:
    """Stands in for aiosqlite's request queue: SQLAlchemy's aiosqlite adapter sets
    `isolation_level` by putting `(future, function)` on `connection._tx`."""

    __slots__ = ()

    def put_nowait(self, item: tuple["asyncio.Future[Any]", Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:
            future.set_exception(error)
        else:
            future.set_result(result)


class InlineConnection:
    """aiosqlite.Connection's surface (as SQLAlchemy's aiosqlite dialect uses it) over a sqlite3
    connection, called inline on the event loop. `_connection`, `_conn` and `_tx` are the
    aiosqlite attributes the dialect's adapter reaches for."""

    __slots__ = ("_checkpointer", "_connection")

    _tx = _InlineQueue()

    def __init__(
        self, connection: sqlite3.Connection, checkpointer: WalCheckpointer | None
    ) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._checkpointer = checkpointer

    @classmethod
    async def open(
        cls, database: str, options: Mapping[str, Any], checkpointer: WalCheckpointer | None
    ) -> "InlineConnection":
        """Connect and set the connection up (autocommit mode: SQLAlchemy's `begin` listener
        emits BEGIN; the INLINE_PRAGMAS)."""
        connection = sqlite3.connect(
            database, **{**options, "timeout": 0, "check_same_thread": False}
        )
        try:
            connection.isolation_level = None
            for pragma in INLINE_PRAGMAS:
                await while_busy(partial(_run, connection, pragma))
        except BaseException:
            connection.close()
            raise
        if checkpointer is not None:
            checkpointer.attach()
        return cls(connection, checkpointer)

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> IsolationLevel:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: IsolationLevel) -> None:
        self._conn.isolation_level = value

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def commit(self) -> None:
        await while_busy(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.close()
        finally:
            if self._checkpointer is not None:
                await self._checkpointer.detach()

    def stop(self) -> None:
        """Close without awaiting (SQLAlchemy's terminate outside the event loop)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
            if self._checkpointer is not None:
                self._checkpointer.detach_nowait()
