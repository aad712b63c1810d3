"""Staff work with the notification inbox: list it, re-process an entry, review flagged ones,
and personal data is removed once the retention period is over."""

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from application.callers import Caller, Role, require_staff
from application.errors import Conflict, NotFound
from application.gateways import UnknownGateway
from application.inbox import InboxEntry, InboxFilter
from application.ports import Clock, UnitOfWorkFactory
from application.use_cases.handle_payment_notification import (
    HandledNotification,
    HandlePaymentNotification,
)
from domain.errors import InvalidTransition

DEFAULT_RETENTION = timedelta(days=90)
# A few hundred rows per transaction: short write locks, little memory. 500 batches per run
# blank 100 000 entries; a larger backlog is finished by the next hourly runs.
DEFAULT_PURGE_BATCH = 200
DEFAULT_PURGE_BATCHES_PER_RUN = 500
DEFAULT_REJECTED_RETENTION = timedelta(days=7)
# Between two batches of a purge, writers that wait for the write lock get it. On SQLite a
# batch never suspends the event loop, so without a gap a purge in the server held off its
# requests for the whole run; and a writer in another process polls for the lock at most every
# 50 ms (the inline driver's longest back-off), so a purge run by `kasir reconcile` beside a
# SQLite server, retaking the lock at once, kept its paying callbacks waiting (p99 5.3 s,
# docs/benchmarks.md). 500 batches cost 25 s more; the hourly run is one batch and no pause.
PAUSE_BETWEEN_BATCHES_SECONDS = 0.05

Sleep = Callable[[float], Awaitable[None]]


class Batched(Protocol):
    """How a purge is cut: rows per transaction, transactions per run, the pause between."""

    @property
    def batch_size(self) -> int: ...
    @property
    def max_batches(self) -> int: ...
    @property
    def pause_between_batches(self) -> float: ...
    @property
    def sleep(self) -> Sleep: ...


async def in_batches(batch: Callable[[], Awaitable[int]], how: Batched) -> int:
    """Run `batch` (one short transaction that handles at most `how.batch_size` rows and
    returns how many it handled) until one handles fewer or `how.max_batches` ran, pausing
    between two batches. Returns how many rows were handled in all."""
    total = 0
    for number in range(how.max_batches):
        if number:
            await how.sleep(how.pause_between_batches)
        handled = await batch()
        total += handled
        if handled < how.batch_size:
            break
    return total


@dataclass(frozen=True, slots=True)
class ListNotifications:
    """Inbox entries matching a filter, newest first (staff)."""

    uow: UnitOfWorkFactory

    async def execute(self, where: InboxFilter, *, caller: Caller) -> list[InboxEntry]:
        require_staff(caller)
        async with self.uow(read_only=True) as uow:
            return await uow.inbox.list(where)


@dataclass(frozen=True, slots=True)
class ReprocessNotification:
    """Runs a stored notification through verification and processing again.

    Idempotent like the first run: a success already applied changes nothing. The entry goes
    to the gateway that sent it, which verifies its signature again (409 `conflict` when that
    gateway is no longer configured); the source-address check is not made again, since a
    staff member asked for it.
    """

    uow: UnitOfWorkFactory
    handler: HandlePaymentNotification

    async def execute(self, entry_id: int, *, caller: Caller) -> HandledNotification:
        require_staff(caller, Role.ADMIN)
        async with self.uow(read_only=True) as uow:
            entry = await uow.inbox.get(entry_id)
        if entry is None:
            raise NotFound("notification not found")
        try:
            self.handler.gateways.named(entry.gateway)
        except UnknownGateway:
            raise Conflict(
                f"notification {entry_id} came from the gateway {entry.gateway!r}, "
                "which this service is not configured with"
            ) from None
        return await self.handler.process(entry, entry.fields)


@dataclass(frozen=True, slots=True)
class ReviewNotification:
    """A named staff member records that a flagged notification was looked at and settled."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, entry_id: int, *, caller: Caller, note: str) -> InboxEntry:
        reviewed_by = require_staff(caller, Role.ADMIN).name
        async with self.uow() as uow:
            entry = await uow.inbox.get(entry_id)
            if entry is None:
                raise NotFound("notification not found")
            if not entry.needs_review or entry.reviewed_at is not None:
                raise InvalidTransition(f"notification {entry_id} is not waiting for review")
            entry.reviewed_at = self.clock.now()
            entry.reviewed_by = reviewed_by
            entry.review_note = note
            await uow.inbox.update(entry)
            await uow.commit()
        return entry


@dataclass(frozen=True, slots=True)
class RemoveExpiredPersonalData:
    """Blanks payer details in inbox entries older than the retention period."""

    uow: UnitOfWorkFactory
    clock: Clock
    personal_fields: Collection[str] = field(default_factory=frozenset)
    retention: timedelta = DEFAULT_RETENTION

    batch_size: int = DEFAULT_PURGE_BATCH
    max_batches: int = DEFAULT_PURGE_BATCHES_PER_RUN
    pause_between_batches: float = PAUSE_BETWEEN_BATCHES_SECONDS
    sleep: Sleep = asyncio.sleep

    async def execute(self) -> int:
        """Purge in batches of `batch_size`, one short transaction each, so the first purge on
        a year of history neither holds the write lock for minutes nor loads it all at once.
        At most `max_batches` per run; the next run (hourly) goes on where this one stopped.
        Returns how many entries were blanked."""
        now = self.clock.now()

        async def batch() -> int:
            async with self.uow() as uow:
                removed = await uow.inbox.remove_personal_data(
                    received_before=now - self.retention,
                    personal_fields=self.personal_fields,
                    now=now,
                    limit=self.batch_size,
                )
                await uow.commit()
            return removed

        return await in_batches(batch, self)


@dataclass(frozen=True, slots=True)
class DeleteExpiredRejected:
    """Deletes notifications that never verified once their short retention is over.

    They are mostly forgeries and junk; what they were is counted in the metrics when they
    arrive. Bounded batches, each its own short transaction, at most `max_batches` per run,
    so a large backlog is worked off over several passes without a long lock.
    """

    uow: UnitOfWorkFactory
    clock: Clock
    retention: timedelta = DEFAULT_REJECTED_RETENTION
    batch_size: int = 500
    max_batches: int = 20
    pause_between_batches: float = PAUSE_BETWEEN_BATCHES_SECONDS
    sleep: Sleep = asyncio.sleep

    async def execute(self) -> int:
        received_before = self.clock.now() - self.retention

        async def batch() -> int:
            async with self.uow() as uow:
                deleted = await uow.inbox.delete_rejected(
                    received_before=received_before, limit=self.batch_size
                )
                await uow.commit()
            return deleted

        return await in_batches(batch, self)
