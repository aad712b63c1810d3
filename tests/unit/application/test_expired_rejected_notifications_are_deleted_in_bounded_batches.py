"""Deleting expired rejected notifications: bounded batches, each committed, a bounded run."""

from datetime import UTC, datetime, timedelta

from tests.support.inbox_entries import duitku_entry

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from application.inbox import Verification
from application.use_cases.notification_inbox import DeleteExpiredRejected

NOW = datetime(2026, 5, 1, tzinfo=UTC)


async def stored(factory: InMemoryUnitOfWorkFactory, count: int, *, age: timedelta) -> None:
    async with factory() as uow:
        for n in range(count):
            await uow.inbox.add(
                duitku_entry(
                    n,
                    received_at=NOW - age,
                    verification=Verification.REJECTED,
                    customer_name=None,
                    source_address="198.51.100.1",
                )
            )
        await uow.commit()


async def test_a_backlog_is_worked_off_over_several_runs_of_bounded_batches() -> None:
    factory = InMemoryUnitOfWorkFactory()
    await stored(factory, 25, age=timedelta(days=8))
    await stored(factory, 4, age=timedelta(days=6))
    delete = DeleteExpiredRejected(
        factory, SettableClock(NOW), retention=timedelta(days=7), batch_size=5, max_batches=3
    )

    runs = [await delete.execute() for _ in range(3)]

    assert runs == [15, 10, 0]
    assert len(factory.store.inbox) == 4
