"""Order wake-ups cost one connection per process, not one per order change, and an outage of
the channel's server loses wake-ups (streams re-read on their own) but never stops the ones
after it."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from litestar.channels.backends.base import ChannelsBackend
from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from tests.support.wakeups import hub

from entrypoints.http.live_status.backends import PgNotifyChannelsBackend, RedisChannelsBackend
from entrypoints.http.live_status.channels import ORDER_CHANNEL
from entrypoints.http.live_status.wakeups import OrderWakeups

WAIT = 5.0  # bound of a wake-up's trip (not a timed assertion: it only stops a hung test)


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


class CountingConnect:
    """asyncpg.connect to one database, counting the connections opened."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.opened = 0

    async def __call__(self) -> Any:
        self.opened += 1
        return await asyncpg.connect(dsn=self.dsn)


async def _announced_and_heard(sender: OrderWakeups, listener: OrderWakeups, order: int) -> None:
    with listener.listening(order) as woken:
        sender.announce({order})
        async with asyncio.timeout(WAIT):
            await woken.wait()


async def test_postgresql_wake_ups_leave_a_process_on_one_connection_however_many_orders_change(
    postgres_database_url: str,
) -> None:
    dsn = _dsn(postgres_database_url)
    connect = CountingConnect(dsn)
    async with (
        hub(PgNotifyChannelsBackend(make_connection=connect)) as sender,
        hub(PgNotifyChannelsBackend(dsn=dsn)) as listener,
    ):
        await asyncio.sleep(0.2)  # LISTEN is live
        for order in range(1, 21):
            await _announced_and_heard(sender, listener, order)

    assert connect.opened == 2  # the LISTEN connection and the NOTIFY one


async def _terminate_notifying_connections(dsn: str) -> int:
    admin = await asyncpg.connect(dsn=dsn)
    try:
        killed: list[Any] = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query LIKE '%pg_notify%'"
        )
        return len(killed)
    finally:
        await admin.close()


async def test_a_notify_connection_the_database_closed_is_replaced_and_wake_ups_flow_again(
    postgres_database_url: str,
) -> None:
    dsn = _dsn(postgres_database_url)
    async with (
        hub(PgNotifyChannelsBackend(dsn=dsn)) as sender,
        hub(PgNotifyChannelsBackend(dsn=dsn)) as listener,
    ):
        await asyncio.sleep(0.2)
        await _announced_and_heard(sender, listener, 1)
        assert await _terminate_notifying_connections(dsn) >= 1

        await _announced_and_heard(sender, listener, 2)


async def _publish_fails_quietly(
    backend: ChannelsBackend, stop: Callable[[], Awaitable[Any]]
) -> None:
    try:
        await backend.publish(b"7", [ORDER_CHANNEL])  # raises nothing: logged and dropped
    finally:
        await stop()


async def test_a_publish_postgresql_cannot_take_is_dropped_without_raising(
    postgres_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    reachable = CountingConnect(_dsn(postgres_database_url))
    backend = PgNotifyChannelsBackend(make_connection=reachable)
    await backend.on_startup()
    reachable.dsn = "postgresql://postgres@127.0.0.1:1/nowhere"  # the server went away

    await _publish_fails_quietly(backend, backend.on_shutdown)

    assert reachable.opened == 2  # the listener's, then the failed try of the notifier's
    assert "an order wake-up was not sent" in caplog.text


async def test_a_publish_redis_cannot_take_is_dropped_without_raising(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=2)
    backend = RedisChannelsBackend(redis=redis)

    await _publish_fails_quietly(backend, redis.aclose)

    assert "an order wake-up was not sent" in caplog.text
