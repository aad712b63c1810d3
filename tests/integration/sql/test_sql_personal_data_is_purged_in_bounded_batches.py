"""The personal-data purge of the notification inbox works in bounded batches, one short
transaction each, oldest entries first, on every backend (in-memory, SQLite, PostgreSQL)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.support.inbox_entries import duitku_entry

from adapters.in_memory.clock import SettableClock
from application.inbox import REMOVED, InboxFilter
from application.ports import UnitOfWork, UnitOfWorkFactory
from application.use_cases.notification_inbox import RemoveExpiredPersonalData

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
OLD = NOW - timedelta(days=365)
PERSONAL = frozenset({"customerName"})


@dataclass
class CountingFactory:
    """Counts the write transactions the purge opens."""

    inner: UnitOfWorkFactory
    writes: int = 0

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        if not read_only:
            self.writes += 1
        return self.inner(read_only=read_only)


async def _add(uow_factory: UnitOfWorkFactory, count: int, *, at: datetime) -> list[int]:
    entries = [
        duitku_entry(index, received_at=at + timedelta(seconds=index)) for index in range(count)
    ]
    async with uow_factory() as uow:
        for entry in entries:
            await uow.inbox.add(entry)
        await uow.commit()
    return [entry.key for entry in entries]


async def _blanked(uow_factory: UnitOfWorkFactory) -> list[int]:
    async with uow_factory(read_only=True) as uow:
        entries = await uow.inbox.list(InboxFilter(limit=1000))
    return sorted(e.key for e in entries if e.fields.get("customerName") == REMOVED)


async def test_a_batch_blanks_at_most_its_limit_the_oldest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    ids = await _add(uow_factory, 5, at=OLD)
    async with uow_factory() as uow:
        removed = await uow.inbox.remove_personal_data(
            received_before=NOW, personal_fields=PERSONAL, now=NOW, limit=2
        )
        await uow.commit()
    assert removed == 2
    assert await _blanked(uow_factory) == ids[:2]


async def test_many_entries_are_purged_in_several_short_transactions(
    uow_factory: UnitOfWorkFactory,
) -> None:
    old = await _add(uow_factory, 45, at=OLD)
    recent = await _add(uow_factory, 3, at=NOW - timedelta(days=1))
    counting = CountingFactory(uow_factory)
    purge = RemoveExpiredPersonalData(
        counting, SettableClock(NOW), personal_fields=PERSONAL, batch_size=10
    )

    removed = await purge.execute()

    assert removed == 45
    assert counting.writes == 5  # 10 + 10 + 10 + 10 + 5: the short batch ends the run
    assert await _blanked(uow_factory) == old
    assert not set(recent) & set(await _blanked(uow_factory))
    assert await purge.execute() == 0


async def test_a_run_stops_after_its_batches_and_the_next_run_goes_on(
    uow_factory: UnitOfWorkFactory,
) -> None:
    old = await _add(uow_factory, 25, at=OLD)
    purge = RemoveExpiredPersonalData(
        uow_factory, SettableClock(NOW), personal_fields=PERSONAL, batch_size=10, max_batches=2
    )

    assert await purge.execute() == 20
    assert await _blanked(uow_factory) == old[:20]
    assert await purge.execute() == 5
    assert await _blanked(uow_factory) == old
