"""The channels backends kasir runs order wake-ups on, fixed for a server under load.

Litestar's own backends have two traits a payment service cannot keep:

- `AsyncPgChannelsBackend.publish` opens a new PostgreSQL connection for every message and
  closes it after: PostgreSQL forks a backend and authenticates it for each order change, about
  as much CPU as the paying callback itself (docs/benchmarks.md). Here one long-lived
  connection per process carries every NOTIFY, and is opened again after it broke.
- the channels plugin publishes from one background task, which ends at the first error a
  backend's `publish` raises: from then on no wake-up leaves the process and the plugin's queue
  grows without bound. Here a failed publish is logged and dropped: a wake-up only hurries a
  stream that re-reads the order on its own every few heartbeats, so a lost one costs latency,
  never a wrong state.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import asyncpg
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

logger = logging.getLogger("kasir.live_status")

_NOTIFY = "SELECT pg_notify(channel, $2) FROM unnest($1::text[]) AS channel"


class PgNotifyChannelsBackend(AsyncPgChannelsBackend):
    """LISTEN on one connection (Litestar's), NOTIFY on one more, both kept for the process."""

    _publisher: asyncpg.Connection | None = None
    _publisher_lock: asyncio.Lock | None = None

    async def on_startup(self) -> None:
        await super().on_startup()
        self._publisher_lock = asyncio.Lock()

    async def on_shutdown(self) -> None:
        if self._publisher_lock is not None:
            async with self._publisher_lock:
                await self._close_publisher()
        await super().on_shutdown()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        if self._publisher_lock is None:
            raise RuntimeError("Backend not yet initialized. Did you forget to call on_startup?")
        names = sorted(set(channels))
        async with self._publisher_lock:
            try:
                await self._notify(names, data.decode("utf-8"))
            except Exception as error:  # the database is away: drop this wake-up, keep going
                await self._close_publisher()
                logger.warning("an order wake-up was not sent: %s", type(error).__name__)

    async def _notify(self, channels: list[str], payload: str) -> None:
        publisher = self._publisher
        if publisher is not None and not publisher.is_closed():
            try:
                await publisher.execute(_NOTIFY, channels, payload)
                return
            except Exception:
                # Closed under us (a restart, an idle timeout, pg_terminate_backend, which ends
                # it with AdminShutdownError rather than a connection error): one fresh
                # connection, once. A wake-up sent twice is harmless.
                await self._close_publisher()
        self._publisher = await self._connect()
        await self._publisher.execute(_NOTIFY, channels, payload)

    async def _close_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            with contextlib.suppress(Exception):
                await publisher.close(timeout=2)


class RedisChannelsBackend(RedisChannelsPubSubBackend):
    """Redis pub/sub whose publish never ends the plugin's publishing task (see above)."""

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        try:
            await super().publish(data, channels)
        except Exception as error:  # Redis is away: drop this wake-up, keep going
            logger.warning("an order wake-up was not sent: %s", type(error).__name__)
