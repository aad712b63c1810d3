"""The inbox purges pause between two batches, so that waiting writers get the write lock,
and never after a run's last batch (the hourly run in the steady state is one batch)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from tests.support.inbox_entries import duitku_entry

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from application.inbox import Verification
from application.use_cases.notification_inbox import (
    PAUSE_BETWEEN_BATCHES_SECONDS,
    DeleteExpiredRejected,
    RemoveExpiredPersonalData,
)

NOW = datetime(2026, 5, 1, tzinfo=UTC)
YEAR_OLD = NOW - timedelta(days=365)


class Pauses:
    """A sleep that records how long it was asked to wait, and waits not at all."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


async def stored(
    factory: InMemoryUnitOfWorkFactory, count: int, verification: Verification
) -> None:
    async with factory() as uow:
        for n in range(count):
            await uow.inbox.add(duitku_entry(n, received_at=YEAR_OLD, verification=verification))
        await uow.commit()


def personal_data_purge(
    factory: InMemoryUnitOfWorkFactory, pauses: Pauses, max_batches: int = 10
) -> RemoveExpiredPersonalData:
    return RemoveExpiredPersonalData(
        factory,
        SettableClock(NOW),
        personal_fields=frozenset({"customerName"}),
        batch_size=2,
        max_batches=max_batches,
        sleep=pauses,
    )


def rejected_purge(
    factory: InMemoryUnitOfWorkFactory, pauses: Pauses, max_batches: int = 10
) -> DeleteExpiredRejected:
    return DeleteExpiredRejected(
        factory, SettableClock(NOW), batch_size=2, max_batches=max_batches, sleep=pauses
    )


Purge = Callable[..., RemoveExpiredPersonalData | DeleteExpiredRejected]

PURGES = [
    pytest.param(personal_data_purge, Verification.VERIFIED, id="personal data"),
    pytest.param(rejected_purge, Verification.REJECTED, id="rejected notifications"),
]


@pytest.mark.parametrize(("purge", "verification"), PURGES)
async def test_a_purge_pauses_once_between_every_two_batches(
    purge: Purge,
    verification: Verification,
) -> None:
    factory, pauses = InMemoryUnitOfWorkFactory(), Pauses()
    await stored(factory, 5, verification)  # batches of 2, 2 and 1

    assert await purge(factory, pauses).execute() == 5
    assert pauses.seconds == [PAUSE_BETWEEN_BATCHES_SECONDS] * 2


@pytest.mark.parametrize(("purge", "verification"), PURGES)
async def test_a_run_of_one_batch_or_cut_short_by_its_limit_ends_without_a_pause(
    purge: Purge,
    verification: Verification,
) -> None:
    factory, pauses = InMemoryUnitOfWorkFactory(), Pauses()
    await stored(factory, 1, verification)
    assert await purge(factory, pauses).execute() == 1
    assert pauses.seconds == []

    await stored(factory, 6, verification)
    assert await purge(factory, pauses, max_batches=2).execute() == 4
    assert pauses.seconds == [PAUSE_BETWEEN_BATCHES_SECONDS]
