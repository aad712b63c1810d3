"""The CheckAlarm of one process (application.ports.CheckAlarm), over an asyncio event.

A request that schedules a status check wakes this process's reconciliation runner, which then
re-reads the earliest due time from the database and sleeps until it: the database, not this
object, is the record, so a lost wake-up (another process, a restart) only costs the time until
that runner's next interval, and every runner finds the due check on its own.
"""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from application.ports import EventPublisher
from domain.events import DomainEvent


class LocalWakeups:
    """Wakes the runner waiting in `wait`; one per process, used on the app's event loop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.last_due: datetime | None = None  # for operators and tests; the runner re-reads

    def wake_at(self, due_at: datetime) -> None:
        self.last_due = due_at
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Wait until woken or `seconds` passed; True when woken."""
        try:
            async with asyncio.timeout(seconds):
                await self._event.wait()
        except TimeoutError:
            return False
        self._event.clear()
        return True


class WakingEventPublisher:
    """Hands committed events to `inner` (logs, metrics), then wakes this process's webhook
    dispatcher: a committed event has deliveries waiting. Best effort, like LocalWakeups: a
    dispatcher that was not woken finds them at its next interval."""

    def __init__(self, inner: EventPublisher, wakeups: LocalWakeups) -> None:
        self._inner = inner
        self._wakeups = wakeups

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        try:
            await self._inner.publish(events)
        finally:
            self._wakeups.wake_at(datetime.now(UTC))
