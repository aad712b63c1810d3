"""Lists the statements an engine sends to its driver, for tests that pin a path's cost.

SQLAlchemy's `before_cursor_execute` event sees every statement a connection executes
(SQLite's explicit `BEGIN IMMEDIATE` included; asyncpg's BEGIN is sent by the driver's own
transaction and is not a statement here); the `commit` event counts the transactions. Counted,
never timed: a path that gains a statement fails its test on any machine.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class StatementLog:
    """What the engine sent while the log was open: statements and commits, in order, and
    the statements whose compiled form SQLAlchemy had to make anew (not from its cache)."""

    lines: list[str] = field(default_factory=list)
    compiled: list[str] = field(default_factory=list)

    @property
    def statements(self) -> list[str]:
        """The statements, without the transaction control (BEGIN, COMMIT)."""
        return [line for line in self.lines if not line.startswith(("BEGIN", "COMMIT"))]

    @property
    def commits(self) -> int:
        return sum(1 for line in self.lines if line == "COMMIT")

    def listing(self) -> str:
        return "\n".join(f"{n:3}  {line}" for n, line in enumerate(self.lines, 1))


@contextmanager
def statement_log(engine: AsyncEngine) -> Iterator[StatementLog]:
    """Record what `engine` (and every engine derived from it by `execution_options`) sends."""
    log = StatementLog()
    sync_engine = engine.sync_engine

    def executed(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        line = " ".join(statement.split())
        log.lines.append(line)
        # Core constructs report whether their compiled form came from the cache; the
        # driver-level SQL of exec_driver_sql (SQLite's BEGIN) has none to cache.
        compiled = context is not None and context.compiled is not None
        if compiled and context.cache_hit is not CacheStats.CACHE_HIT:
            log.compiled.append(line)

    def committed(conn: Any) -> None:
        log.lines.append("COMMIT")

    event.listen(sync_engine, "before_cursor_execute", executed)
    event.listen(sync_engine, "commit", committed)
    try:
        yield log
    finally:
        event.remove(sync_engine, "before_cursor_execute", executed)
        event.remove(sync_engine, "commit", committed)
