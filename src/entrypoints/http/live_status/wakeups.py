"""Order wake-ups: committed changes to an order wake its live status streams, in every process.

The unit of work hands committed domain events to the event publisher; `OrderChangeBroadcaster`
(a publisher decorator) announces the orders they touched on one channel of Litestar's channels
plugin (Redis, PostgreSQL NOTIFY or memory: live_status.channels). Each process subscribes
once (`OrderWakeups`, started with the app) and wakes the streams of that order. A wake-up
carries only the order id: every stream re-reads the order's state itself, in a short
transaction of its own, so a lost or duplicated wake-up never shows a wrong state (streams
also re-read on their own every few heartbeats).
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

from litestar.channels import ChannelsPlugin, Subscriber

from application.ports import EventPublisher
from domain.events import DomainEvent
from entrypoints.http.live_status.channels import ORDER_CHANNEL

logger = logging.getLogger("kasir.live_status")


class OrderWakeups:
    """The per-process hub between the channel and the streams waiting in it."""

    def __init__(self, channels: ChannelsPlugin, *, through: str = "memory") -> None:
        self._channels = channels
        self._through = through  # the backend's name, for the start-up log
        self._waiters: dict[int, set[asyncio.Event]] = {}
        self._subscriber: Subscriber | None = None
        self._task: asyncio.Task[None] | None = None
        self.draining = asyncio.Event()  # the process is stopping: streams end now
        self._restore_signals: Callable[[], None] = lambda: None

    @property
    def running(self) -> bool:
        return self._task is not None

    def announce(self, order_ids: set[int | None] | set[int]) -> None:
        """Tell every process that these orders changed (queued, never blocks the caller)."""
        if not self.running:
            return  # a process without streams (the CLI); streams elsewhere re-read anyway
        for order_id in sorted(o for o in order_ids if isinstance(o, int)):
            self._channels.publish(str(order_id).encode(), ORDER_CHANNEL)

    @contextlib.contextmanager
    def listening(self, order_id: int) -> Iterator[asyncio.Event]:
        """An event set whenever `order_id` changes, while the block runs."""
        woken = asyncio.Event()
        self._waiters.setdefault(order_id, set()).add(woken)
        try:
            yield woken
        finally:
            waiters = self._waiters.get(order_id)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiters[order_id]

    async def start(self) -> None:
        self.draining.clear()
        self._subscriber = await self._channels.subscribe([ORDER_CHANNEL])
        self._task = asyncio.create_task(self._deliver(self._subscriber))
        self._restore_signals = _drain_on_sigterm(self)
        logger.info("live status streams are woken through %s", self._through)

    async def stop(self) -> None:
        self.drain()
        self._restore_signals()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            with contextlib.suppress(Exception):  # the plugin may be stopped already
                await self._channels.unsubscribe(subscriber)

    def drain(self) -> None:
        """End every open stream (the process stops): browsers reconnect to another one."""
        self.draining.set()
        for waiters in self._waiters.values():
            for woken in waiters:
                woken.set()

    async def _deliver(self, subscriber: Subscriber) -> None:
        async for message in subscriber.iter_events():
            try:
                order_id = int(message)
            except ValueError:
                logger.warning("ignored a malformed order wake-up")
                continue
            for woken in self._waiters.get(order_id, ()):
                woken.set()


def _drain_on_sigterm(wakeups: OrderWakeups) -> Callable[[], None]:
    """uvicorn waits for open responses before it stops; a stream could keep it for minutes.
    On SIGTERM/SIGINT, end the streams first, then let the handler that was there (uvicorn's)
    run. Returns what puts the previous handlers back (at shutdown)."""
    loop = asyncio.get_running_loop()
    chained: dict[int, Any] = {}

    def handler(number: int, frame: FrameType | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(wakeups.drain)
        previous = chained.get(number)
        if callable(previous):
            previous(number, frame)

    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            chained[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread (a server in a test's thread): no signals
            return lambda: None

    def restore() -> None:
        for signum, previous in chained.items():
            if signal.getsignal(signum) is handler:
                signal.signal(signum, previous)

    return restore


class OrderChangeBroadcaster:
    """An EventPublisher decorator: publishes to `inner`, then announces the orders touched."""

    def __init__(self, inner: EventPublisher, wakeups: OrderWakeups) -> None:
        self._inner = inner
        self._wakeups = wakeups

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        try:
            await self._inner.publish(events)
        finally:
            touched = {
                o for o in (getattr(e, "order_id", None) for e in events) if isinstance(o, int)
            }
            if touched:
                self._wakeups.announce(touched)
