"""The databases a suite runs on: made fresh (with kasir's own migrations), read, dropped.

PostgreSQL databases are created on the server `--pg-url` names and carry the bench's process
id in their names, so two runs never drop each other's; SQLite databases are files in the
run's work directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kasir_bench import processes
from kasir_bench.constants import KASIR, TMP
from kasir_bench.seed import NAIVE_TABLE

_ADMIN_DATABASES = ("postgres", "test", "template1")


async def _pg_admin(pg_url: str, *statements: str) -> None:
    import asyncpg  # noqa: PLC0415 - only the PostgreSQL suites need it

    for database in _ADMIN_DATABASES:
        try:
            connection = await asyncpg.connect(pg_url.rstrip("/") + "/" + database, timeout=5)
        except (OSError, asyncpg.PostgresError):
            continue
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()
        return
    raise OSError(f"cannot reach PostgreSQL at {pg_url}")


async def _pg_settings(pg_url: str) -> dict[str, str]:
    import asyncpg  # noqa: PLC0415 - only the PostgreSQL suites need it

    for database in _ADMIN_DATABASES:
        try:
            connection = await asyncpg.connect(f"{pg_url.rstrip('/')}/{database}", timeout=5)
        except (OSError, asyncpg.PostgresError):
            continue
        try:
            rows = await connection.fetch(
                "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', "
                "'synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', "
                "'commit_delay', 'max_connections')"
            )
            return {r["name"]: r["setting"] for r in rows}
        finally:
            await connection.close()
    return {}


def pg_settings(pg_url: str) -> dict[str, str]:
    """The server's version and the settings that bear on commit cost (never changed here)."""
    return asyncio.run(_pg_settings(pg_url))


def pg_available(pg_url: str) -> bool:
    try:
        asyncio.run(_pg_admin(pg_url, "SELECT 1"))
    except Exception:  # any failure means: skip the PostgreSQL suites
        return False
    return True


@dataclass
class Database:
    kind: str  # sqlite | postgresql
    name: str
    url: str  # kasir DATABASE_URL
    pg_url: str = ""
    path: Path = Path()  # SQLite only

    @classmethod
    def sqlite(cls, workdir: Path, name: str) -> Database:
        path = workdir / f"{name}.db"
        return cls("sqlite", name, f"sqlite+aiosqlite:///{path}", path=path)

    @classmethod
    def postgres(cls, pg_url: str, name: str) -> Database:
        url = pg_url.replace("postgresql://", "postgresql+asyncpg://", 1).rstrip("/") + "/" + name
        return cls("postgresql", name, url, pg_url=pg_url)

    def create(self) -> None:
        """A new, empty database at kasir's current schema (`kasir migrate`)."""
        if self.kind == "sqlite":
            self.drop()
        else:
            asyncio.run(
                _pg_admin(
                    self.pg_url,
                    f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                    f'CREATE DATABASE "{self.name}"',
                )
            )
        env = {**os.environ, "DATABASE_URL": self.url, "DUITKU_ENV": "fake"}
        # Not from the repository root: a developer's .env there must not reach the bench.
        TMP.mkdir(parents=True, exist_ok=True)
        processes.run([str(KASIR), "migrate"], env=env, capture=True, cwd=TMP)

    def drop(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            with contextlib.suppress(Exception):
                asyncio.run(
                    _pg_admin(self.pg_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """A read next to the running server (SQLite WAL readers never block it)."""
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as c:
                return list(c.execute(sql).fetchall())
        return asyncio.run(self._pg_query(sql))

    async def _pg_query(self, sql: str) -> list[tuple[Any, ...]]:
        import asyncpg  # noqa: PLC0415 - only the PostgreSQL suites need it

        connection = await asyncpg.connect(self.pg_url.rstrip("/") + "/" + self.name)
        try:
            return [tuple(r) for r in await connection.fetch(sql)]
        finally:
            await connection.close()

    def size_mib(self) -> float:
        if self.kind == "sqlite":
            files = [Path(f"{self.path}{s}") for s in ("", "-wal")]
            return sum(f.stat().st_size for f in files if f.exists()) / 2**20
        return float(self.query(f"SELECT pg_database_size('{self.name}')")[0][0]) / 2**20

    def inbox_max_id(self) -> int:
        return int(self.query("SELECT coalesce(max(id), 0) FROM notification_inbox")[0][0])

    def inbox_outcomes_after(self, after_id: int) -> dict[str, int]:
        """The stored callbacks after `after_id`, counted by outcome (or failed verification)."""
        rows = self.query(
            "SELECT coalesce(outcome, verification), count(*) FROM notification_inbox "  # noqa: S608 - an int
            f"WHERE id > {int(after_id)} GROUP BY 1"
        )
        return {str(k): int(v) for k, v in rows}

    def naive_paid(self) -> int:
        """How many of the naive scenario's orders (kasir_bench.seed) are paid."""
        sql = (
            "SELECT count(*) FROM orders WHERE status = 'paid' "  # noqa: S608 - a constant
            f"AND table_number = '{NAIVE_TABLE}'"
        )
        return int(self.query(sql)[0][0])

    def payment_count(self, status: str) -> int:
        sql = f"SELECT count(*) FROM payments WHERE status = '{status}'"  # noqa: S608 - a constant
        return int(self.query(sql)[0][0])
