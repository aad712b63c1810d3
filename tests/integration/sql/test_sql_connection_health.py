"""PostgreSQL connections are pinged before use only after sitting idle, and a connection that
died meanwhile is replaced without the caller noticing."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlalchemy import engine as engine_module
from adapters.sqlalchemy.engine import create_engine_for

pytestmark = pytest.mark.postgres


async def test_a_connection_used_moments_ago_is_not_pinged(
    postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine_for(postgres_database_url)
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: DBAPIConnection) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
    try:
        for _ in range(3):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        assert pings == []

        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        assert len(pings) == 1
    finally:
        await engine.dispose()


async def test_a_connection_that_died_while_idle_is_replaced_before_use(
    postgres_admin_url: str, postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = create_engine_for(postgres_database_url)
    try:
        async with engine.connect() as connection:
            first = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = create_async_engine(postgres_admin_url, poolclass=NullPool)
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await admin.dispose()

        async with engine.connect() as connection:
            second = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()

        assert second != first
    finally:
        await engine.dispose()
