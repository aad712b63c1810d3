"""An AUTOCOMMIT connection commits each statement by itself, on SQLite as on PostgreSQL.

The engine emits SQLite's BEGIN itself (adapters.sqlalchemy.engine); it must not do so on an
AUTOCOMMIT connection, or the statement would sit in a transaction nobody commits and be rolled
back when the connection goes back to the pool. The benchmark's naive callback baseline writes
this way (docs/benchmarks.md).
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_a_statement_on_an_autocommit_connection_is_committed_by_itself(
    sql_engine: AsyncEngine,
) -> None:
    async with sql_engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(
            text("INSERT INTO menu_items (name, price, available) VALUES ('Teh', 5000, true)")
        )
        # closed without commit(): only autocommit keeps the row

    async with sql_engine.connect() as reader:
        names = (await reader.execute(text("SELECT name FROM menu_items"))).scalars().all()

    assert names == ["Teh"]
