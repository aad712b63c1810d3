"""Database fixtures for the SQL adapter tests.

- `sqlite_engine`: a fresh SQLite file in tmp_path, migrated with `upgrade_database`.
- `postgres_engine`: one throwaway database per test session (created, migrated, dropped at the
  end), emptied before each test. The URL comes from KASIR_TEST_POSTGRES_URL; when the server
  cannot be reached, the PostgreSQL tests are skipped with the reason.
- `uow_factory`: the same contract tests over the in-memory, SQLite and PostgreSQL adapters.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.migrate import upgrade_database
from adapters.sqlalchemy.schema import metadata
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.ports import UnitOfWorkFactory

T = TypeVar("T")

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Every table of the schema (topic modules included), emptied before each PostgreSQL test.
TABLES = tuple(table.name for table in reversed(metadata.sorted_tables))


def run_in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on its own loop, away from the tests' loops."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "kasir.db")


@pytest.fixture
async def sqlite_engine(sqlite_database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(sqlite_database_url)
    engine = create_engine_for(sqlite_database_url)
    yield engine
    await engine.dispose()


async def _admin(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE), failing fast if unreachable."""
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                await autocommit.execute(text(statement))
    finally:
        await engine.dispose()


def new_postgres_database(admin_url: str, prefix: str) -> str:
    """Create an empty database next to `admin_url`'s and return its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    run_in_thread(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    run_in_thread(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The configured PostgreSQL URL, or a skip saying why it cannot be used."""
    url = os.environ.get("KASIR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        run_in_thread(_admin(url, "SELECT 1"))
    except Exception as exc:  # any failure to connect means "skip" (or a failure in CI)
        reason = f"PostgreSQL not reachable at {shown}: {type(exc).__name__}: {exc}"
        if os.environ.get("KASIR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"KASIR_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def postgres_database_url(postgres_admin_url: str) -> Iterator[str]:
    """A migrated database of our own for this test session, dropped at the end."""
    url = new_postgres_database(postgres_admin_url, "kasir_test")
    try:
        run_in_thread(upgrade_database(url))
        yield url
    finally:
        drop_postgres_database(postgres_admin_url, url)


@pytest.fixture
def scratch_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """An empty, unmigrated database for this test only."""
    url = new_postgres_database(postgres_admin_url, "kasir_scratch")
    yield url
    drop_postgres_database(postgres_admin_url, url)


@pytest.fixture
async def postgres_engine(postgres_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(postgres_database_url)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))
    yield engine
    await engine.dispose()


SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=SQL_BACKENDS)
def sql_engine(request: pytest.FixtureRequest) -> AsyncEngine:
    """A migrated, empty database on each SQL backend."""
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_engine")
    return engine


@pytest.fixture(params=["memory", *SQL_BACKENDS])
def uow_factory(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """A unit of work factory over an empty store, for each backend."""
    if request.param == "memory":
        return InMemoryUnitOfWorkFactory()
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_engine")
    return SqlAlchemyUnitOfWorkFactory(engine)
