"""Order wake-ups travel between processes through the channels backend the settings choose:
PostgreSQL LISTEN/NOTIFY for a PostgreSQL DATABASE_URL, Redis when REDIS_URL is set, memory
(one process) otherwise. Two hubs on two channels plugins play two processes: an order
announced by one wakes the streams of that order in the other, and only those."""

import asyncio
import os
from typing import Any

import pytest
from redis.asyncio import Redis
from tests.support.wakeups import hub

from entrypoints.http.live_status.channels import backend_name, channels_backend, channels_plugin
from entrypoints.http.live_status.wakeups import OrderWakeups
from entrypoints.settings import Settings, load_settings

REDIS_URL = os.environ.get("KASIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WAIT = 5.0  # bound of a wake-up's trip (not a timed assertion: it only stops a hung test)


async def _redis_reachable() -> bool:
    client = Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


@pytest.fixture(params=["postgresql", pytest.param("redis")])
async def settings(request: pytest.FixtureRequest) -> Settings:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_database_url")
        return load_settings(database_url=url, duitku_env="fake")
    if not await _redis_reachable():
        reason = f"Redis not reachable at {REDIS_URL}"
        if os.environ.get("KASIR_REQUIRE_REDIS") == "1":
            pytest.fail(f"KASIR_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    return load_settings(duitku_env="fake", redis_url=REDIS_URL)


async def test_an_order_announced_in_one_process_wakes_its_streams_in_another(
    settings: Settings,
) -> None:
    async with hub(channels_backend(settings)) as a, hub(channels_backend(settings)) as b:
        with b.listening(7) as woken, b.listening(8) as other:
            await asyncio.sleep(0.2)  # both subscriptions are live (LISTEN is asynchronous)
            a.announce({7})
            async with asyncio.timeout(WAIT):
                await woken.wait()

    assert not other.is_set()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "memory"),
        ({"database_url": "postgresql+asyncpg://kasir@db.example/kasir"}, "postgresql"),
        ({"redis_url": "redis://cache.example:6379/0"}, "redis"),
        (
            {
                "database_url": "postgresql+asyncpg://kasir@db.example/kasir",
                "redis_url": "redis://cache.example:6379/0",
            },
            "redis",
        ),
    ],
    ids=["sqlite: memory", "postgresql: listen/notify", "redis", "redis over postgresql"],
)
def test_the_backend_follows_the_settings(overrides: dict[str, Any], expected: str) -> None:
    settings = load_settings(duitku_env="fake", **overrides)

    assert backend_name(channels_backend(settings)) == expected


async def test_in_memory_an_order_wakes_the_streams_of_its_own_process() -> None:
    async with hub(channels_backend(load_settings(duitku_env="fake"))) as alone:
        with alone.listening(7) as woken:
            alone.announce({7})
            async with asyncio.timeout(WAIT):
                await woken.wait()


async def test_a_process_without_a_running_hub_announces_nothing() -> None:
    plugin = channels_plugin(channels_backend(load_settings(duitku_env="fake")))
    wakeups = OrderWakeups(plugin)

    wakeups.announce({1})  # the CLI: no streams here, nothing started: no error either

    assert not wakeups.running
