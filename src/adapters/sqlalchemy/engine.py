"""The one AsyncEngine per process, with SQLite set up for safe concurrent writers.

SQLite (`sqlite+aiosqlite:///./kasir.db`, the URL kasir always took):
- the sqlite3 calls run inline on the event loop (sqlite_inline.py) instead of on aiosqlite's
  thread, behind the same SQLAlchemy dialect and AsyncEngine/AsyncConnection API: a thread
  hand-off cost ~80 µs per call against ~5 µs for the statement (docs/benchmarks.md);
- every connection runs `journal_mode=WAL` (readers never block the writer), `foreign_keys=ON`
  and `synchronous=NORMAL` (durable with WAL up to the last checkpointed commit; never OFF);
- nothing on the loop may sleep in SQLite: `busy_timeout=0`, and a statement that meets
  another connection's lock (in practice the write units of work's `BEGIN IMMEDIATE`) is
  retried on an asyncio back-off for up to BUSY_BUDGET_SECONDS (5 s, the busy timeout kasir
  always had), then fails with "database is locked" (DatabaseBusy in the unit of work);
- `wal_autocheckpoint=0`: checkpoints (an fsync) run in a background thread with its own
  connection (sqlite_checkpointer.py), started with the engine's first connection and stopped,
  after a final checkpoint, when `dispose()` closes the last one;
- the sqlite3 driver's own transaction handling is switched off (`isolation_level = None`) and
  SQLAlchemy's `begin` event emits the BEGIN itself (sqlite_inline.begin_sqlite_transaction):
  `BEGIN IMMEDIATE` when the connection carries the execution option `SQLITE_BEGIN=IMMEDIATE`
  (write units of work), else a plain deferred `BEGIN` (none on an AUTOCOMMIT connection, where
  each statement commits by itself). The write lock is thus taken when a write transaction
  starts, not at its first write, so two read-decide-write transactions cannot interleave;
- `:memory:` databases use a StaticPool (one shared connection, so one database) and need no
  checkpoints.

PostgreSQL (`postgresql+asyncpg://...`): a connection pool, default READ COMMITTED; the
repositories rely on conditional updates and `SELECT ... FOR UPDATE` there. A pooled connection
is pinged before use only when it sat idle for more than PING_AFTER_IDLE_SECONDS (SQLAlchemy's
`pool_pre_ping` pings at every checkout, three round trips on asyncpg, about 13 % of a callback's
CPU; see docs/benchmarks.md). The pool is LIFO, so under light load the same few connections
stay warm and the others idle out.
"""

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from adapters.sqlalchemy.sqlite_checkpointer import WalCheckpointer
from adapters.sqlalchemy.sqlite_inline import InlineConnection, begin_sqlite_transaction

# PostgreSQL: connections kept open per process, and how many more a burst may open. A
# connection above POOL_SIZE is closed when it is returned, and the next burst opens it again:
# PostgreSQL forks and authenticates a backend, asyncpg prepares every statement anew. With 10
# kept, 16 concurrent requests (the bench's load) reopened a connection every ~40 transactions.
POOL_SIZE = 20
POOL_OVERFLOW = 10


def create_engine_for(url: str, *, echo: bool = False) -> AsyncEngine:
    """An AsyncEngine for a `sqlite+aiosqlite` or `postgresql+asyncpg` URL. Create one per process
    and dispose of it at shutdown."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, echo=echo, in_memory=parsed.database in (None, "", ":memory:"))
    if backend == "postgresql":
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=10,
            pool_recycle=1800,
            pool_use_lifo=True,
        )
        _ping_after_idle(engine)
        return engine
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")


# A connection back in the pool for longer than this is pinged before its next use; one used
# more recently was just seen working. Either way a connection that breaks in a request fails
# that request, and SQLAlchemy then replaces every pooled connection (a disconnect error).
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "kasir_returned_at"


def _ping_after_idle(engine: AsyncEngine) -> None:
    dialect = engine.dialect

    def returned(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)  # None: connected just now
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:
            # Like pool_pre_ping: replace this and every older connection, then retry.
            raise InvalidatePoolError(f"pooled connection failed its ping: {error!r}") from error
        if not alive:
            raise InvalidatePoolError("pooled connection failed its ping")

    event.listen(engine.sync_engine, "checkin", returned)
    event.listen(engine.sync_engine, "checkout", checked_out)


def _sqlite_engine(url: str, *, echo: bool, in_memory: bool) -> AsyncEngine:
    arguments, options = SQLiteDialect_pysqlite().create_connect_args(make_url(url))
    database = str(arguments[0])
    checkpointer = None if in_memory else WalCheckpointer(database, options)

    async def connect() -> InlineConnection:
        return await InlineConnection.open(database, options, checkpointer)

    pool: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
    engine = create_async_engine(url, echo=echo, async_creator=connect, **pool)
    event.listen(engine.sync_engine, "begin", begin_sqlite_transaction)
    return engine
