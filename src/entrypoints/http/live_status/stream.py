"""One order's live status stream: the current state first, then each change, until settled.

The stream holds no database connection while it waits: it waits on its order's wake-up (or a
timer), then re-reads the customer's view in a short read-only transaction of its own and
sends it when it differs from the last one sent. Between changes it sends a heartbeat comment
(proxies and browsers keep the connection; a dead client is noticed when the write fails). It
ends with an `end` event: `settled` once the order is paid or cancelled (the browser closes),
`idle` after STREAM_IDLE_SECONDS without a change, `restart` when the process stops (the
browser reconnects, to another process if need be).

Messages are numbered by the order's outbox sequence (`id:`): every `status` carries the
latest event number it reflects, and each outbox event after the client's `Last-Event-ID` is
sent first as its own message (`event:` its dotted type, `data:` its payload), so a client that
reconnects learns what it missed, in order, before the current state.
"""

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import msgspec
from litestar.response import ServerSentEventMessage

from application.callers import Caller
from application.live_status import GetLiveStatus, OrderLiveView
from application.ports import Clock
from entrypoints.http.live_status.slots import StreamSlot
from entrypoints.http.live_status.wakeups import OrderWakeups
from entrypoints.http.schemas.live_status import LiveStatusResponse

RETRY_MILLISECONDS = 3000  # how soon a browser reconnects after the stream ends or breaks
RECHECK_EVERY_HEARTBEATS = 4  # a re-read without a wake-up, in case one was lost


@dataclass(frozen=True, slots=True)
class StreamTiming:
    heartbeat_seconds: float
    idle_seconds: float


@dataclass(frozen=True, slots=True)
class OrderStream:
    """Everything one stream needs; `messages()` is the body of the response."""

    order_id: int
    caller: Caller
    first_view: OrderLiveView
    get_live_status: GetLiveStatus
    wakeups: OrderWakeups
    slot: StreamSlot
    clock: Clock
    timing: StreamTiming
    resumed: bool = False  # the first view's events are what the client missed: send them

    async def messages(self) -> AsyncIterator[ServerSentEventMessage]:
        with self.slot.held(), self.wakeups.listening(self.order_id) as woken:
            loop = asyncio.get_running_loop()
            view = self.first_view
            sent: bytes | None = None
            idle_until = loop.time() + self.timing.idle_seconds
            quiet_heartbeats = 0
            # The first view's events are news only to a client resuming from an earlier id;
            # every later read's events are news to everyone.
            news = view.events if self.resumed else ()
            while True:
                for event in news:
                    yield ServerSentEventMessage(
                        data=msgspec.json.encode(event.payload).decode(),
                        event=event.type,
                        id=event.seq,
                    )
                news = ()
                body = msgspec.json.encode(LiveStatusResponse.of(view))
                if body != sent:
                    yield ServerSentEventMessage(
                        data=body.decode(),
                        event="status",
                        id=view.last_seq,
                        retry=RETRY_MILLISECONDS if sent is None else None,
                    )
                    sent = body
                    idle_until = loop.time() + self.timing.idle_seconds
                if view.settled:
                    yield ServerSentEventMessage(data="settled", event="end")
                    return
                wait = min(
                    self.timing.heartbeat_seconds,
                    max(0.0, idle_until - loop.time()),
                    _seconds_until(view, self.clock.now()),
                )
                if not await _woken_within(woken, wait):
                    if self.wakeups.draining.is_set():
                        yield ServerSentEventMessage(data="restart", event="end")
                        return
                    if loop.time() >= idle_until:
                        yield ServerSentEventMessage(data="idle", event="end")
                        return
                    yield ServerSentEventMessage(comment="heartbeat", data=None)
                    quiet_heartbeats += 1
                    if not _due(view, self.clock.now()) and (
                        quiet_heartbeats % RECHECK_EVERY_HEARTBEATS
                    ):
                        continue
                elif self.wakeups.draining.is_set():
                    yield ServerSentEventMessage(data="restart", event="end")
                    return
                view = await self.get_live_status.execute(
                    self.order_id, caller=self.caller, after_seq=view.last_seq
                )
                news = view.events


async def _woken_within(woken: asyncio.Event, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await woken.wait()
    except TimeoutError:
        return False
    woken.clear()
    return True


def _seconds_until(view: OrderLiveView, now: datetime) -> float:
    """Until the shown QR expires (the view turns `expired` then, with no event to wake it)."""
    expires_at = view.showing.expires_at if view.showing is not None else None
    if expires_at is None:
        return math.inf
    return max(0.0, (expires_at - now).total_seconds()) + 0.05


def _due(view: OrderLiveView, now: datetime) -> bool:
    expires_at = view.showing.expires_at if view.showing is not None else None
    return expires_at is not None and now >= expires_at
