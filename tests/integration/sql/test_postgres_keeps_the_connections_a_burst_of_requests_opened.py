"""On PostgreSQL the pool keeps the connections a burst of concurrent transactions opened, up to
POOL_SIZE, so the next burst reuses them: a reopened connection costs a forked, authenticated
backend and every statement prepared again."""

import asyncio

import pytest
from sqlalchemy import event, text

from adapters.sqlalchemy.engine import POOL_SIZE, create_engine_for

pytestmark = pytest.mark.postgres
BURST = 16  # the bench's wrk connections, each in a transaction at once


async def test_a_second_burst_of_concurrent_transactions_opens_no_new_connection(
    postgres_database_url: str,
) -> None:
    assert BURST <= POOL_SIZE  # the rule's premise: a burst the pool is sized for
    engine = create_engine_for(postgres_database_url)
    opened = 0

    def connected(*_: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(engine.sync_engine, "connect", connected)

    async def transaction(all_in: asyncio.Barrier) -> None:
        async with engine.connect() as connection, connection.begin():
            await connection.execute(text("SELECT 1"))
            await all_in.wait()  # every transaction holds its connection at the same time

    try:
        for _ in range(2):
            all_in = asyncio.Barrier(BURST)
            await asyncio.gather(*(transaction(all_in) for _ in range(BURST)))
    finally:
        await engine.dispose()

    assert opened == BURST
