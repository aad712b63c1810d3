"""Reconciliation queue contract: the same rules on the in-memory, SQLite and PostgreSQL queues."""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.drawer import open_shift_in
from tests.support.queue_attempts import BACKENDS, EXPIRES, NOW, QueueAttempts, queue_attempts

from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.reconciliation_queue import SqlAlchemyReconciliationQueue
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.reconciliation_schedule import ScheduledCheck
from domain.payments import Payment, PaymentStatus
from domain.settlement import take_cash

LEASE = timedelta(minutes=5)
GRACE = timedelta(seconds=60)
FIRST_CHECK = timedelta(minutes=2)


@dataclass
class Backend(QueueAttempts):
    last_claim: datetime = NOW

    async def claim(
        self, owner: str, now: datetime, *, limit: int = 10, lease: timedelta = LEASE
    ) -> list[ScheduledCheck]:
        self.last_claim = now
        return await self.queue.claim_due(
            owner=owner,
            now=now,
            lease_until=now + lease,
            creating_before=now - GRACE,
            expired_before=now - FIRST_CHECK,
            limit=limit,
        )

    async def uids(self, owner: str, now: datetime, *, limit: int = 10) -> list[str]:
        return [item.attempt_id for item in await self.claim(owner, now, limit=limit)]

    async def record(
        self,
        uid: str,
        owner: str,
        *,
        next_check_at: datetime | None,
        counted: bool = True,
        review_reason: str | None = None,
        now: datetime = NOW,
        claimed_at: datetime | None = None,
        rejected: bool = False,
    ) -> bool:
        return await self.queue.record(
            uid,
            owner=owner,
            next_check_at=next_check_at,
            counted=counted,
            review_reason=review_reason,
            now=now,
            claimed_at=self.last_claim if claimed_at is None else claimed_at,
            rejected=rejected,
        )

    async def flag(
        self, uid: str, reason: str, *, now: datetime, next_check_at: datetime | None
    ) -> None:
        async with self.uow() as uow:
            await uow.payments.flag_for_review(
                uid, reason=reason, now=now, next_check_at=next_check_at
            )
            await uow.commit()

    async def resolve(self, uid: str, *, by: str = "staff:sari", now: datetime = NOW) -> bool:
        async with self.uow() as uow:
            resolved = await uow.payments.resolve_review(uid, by=by, note="looked at", now=now)
            await uow.commit()
        return resolved


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return queue_attempts(request, Backend)


async def test_a_pending_attempt_is_first_due_two_minutes_after_its_expiry(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")

    assert await backend.uids("a", EXPIRES + FIRST_CHECK - timedelta(seconds=1)) == []
    [claimed] = await backend.claim("a", EXPIRES + FIRST_CHECK)

    assert claimed.attempt_id == "KSR-1"
    assert claimed.status is PaymentStatus.PENDING
    assert claimed.expires_at == EXPIRES
    assert claimed.check_count == 0


async def test_a_creating_attempt_is_due_once_older_than_the_grace_period(
    backend: Backend,
) -> None:
    await backend.add(Payment.start_qris(order=await backend.order(), attempt_id="KSR-1", now=NOW))

    assert await backend.uids("a", NOW + GRACE) == []
    [claimed] = await backend.claim("a", NOW + GRACE + timedelta(seconds=1))

    assert claimed.status is PaymentStatus.CREATING
    assert claimed.expires_at is None


async def test_a_claimed_attempt_is_not_given_to_another_owner_until_the_lease_ends(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")
    due = EXPIRES + FIRST_CHECK

    assert await backend.uids("a", due) == ["KSR-1"]
    assert await backend.uids("b", due + LEASE - timedelta(seconds=1)) == []
    assert await backend.uids("b", due + LEASE) == ["KSR-1"]
    assert not await backend.record("KSR-1", "a", next_check_at=None)
    assert await backend.record("KSR-1", "b", next_check_at=None)


async def test_a_recorded_check_is_due_again_at_its_next_slot_and_counted(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")
    first = EXPIRES + FIRST_CHECK
    await backend.claim("a", first)
    next_slot = EXPIRES + timedelta(minutes=15)

    assert await backend.record("KSR-1", "a", next_check_at=next_slot)

    assert await backend.uids("a", next_slot - timedelta(seconds=1)) == []
    [again] = await backend.claim("b", next_slot)
    assert again.check_count == 1


async def test_a_check_that_was_not_made_is_not_counted(backend: Backend) -> None:
    await backend.pending("KSR-1")
    first = EXPIRES + FIRST_CHECK
    await backend.claim("a", first)

    await backend.record("KSR-1", "a", next_check_at=first + timedelta(seconds=30), counted=False)

    [again] = await backend.claim("a", first + timedelta(seconds=30))
    assert again.check_count == 0


async def test_an_attempt_with_no_next_check_is_never_due_again(backend: Backend) -> None:
    await backend.pending("KSR-1")
    await backend.claim("a", EXPIRES + FIRST_CHECK)

    await backend.record("KSR-1", "a", next_check_at=None)

    assert await backend.uids("a", EXPIRES + timedelta(days=30)) == []


async def test_an_attempt_flagged_for_review_is_listed_and_not_checked_again(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")
    await backend.pending("KSR-2")
    when = EXPIRES + timedelta(days=1)
    await backend.claim("a", when)

    await backend.record("KSR-1", "a", next_check_at=None, review_reason="still open", now=when)
    await backend.record("KSR-2", "a", next_check_at=when + timedelta(minutes=1), now=when)

    [item] = await backend.queue.list_needing_review()
    assert item.payment.attempt_id == "KSR-1"
    assert item.review_reason == "still open"
    assert item.review_required_at == when
    assert item.check_count == 1
    assert await backend.uids("a", when + timedelta(days=3)) == ["KSR-2"]


async def test_a_flagged_attempt_leaves_the_review_list_once_it_settles(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")
    when = EXPIRES + timedelta(days=1)
    await backend.claim("a", when)
    await backend.record("KSR-1", "a", next_check_at=None, review_reason="still open", now=when)

    await backend.change("KSR-1", PaymentStatus.SUCCEEDED)

    assert await backend.queue.list_needing_review() == []


async def test_a_flag_with_a_next_check_keeps_a_closed_attempt_on_the_schedule(
    backend: Backend,
) -> None:
    """A signed success the gateway contradicted: failed locally, flagged, still checked."""
    await backend.pending("KSR-1")
    await backend.change("KSR-1", PaymentStatus.FAILED)
    flagged = NOW + timedelta(minutes=1)
    await backend.flag("KSR-1", "contradicted", now=flagged, next_check_at=flagged + FIRST_CHECK)

    early = await backend.uids("a", flagged + FIRST_CHECK - timedelta(seconds=1))
    [item] = await backend.claim("a", flagged + FIRST_CHECK)

    assert early == []
    assert (item.attempt_id, item.status, item.flagged_at) == (
        "KSR-1",
        PaymentStatus.FAILED,
        flagged,
    )
    [review] = await backend.queue.list_needing_review()
    assert (review.payment.attempt_id, review.review_reason) == ("KSR-1", "contradicted")
    assert review.review_required_at == flagged


async def test_a_resolved_review_leaves_the_list_and_gives_the_attempt_back_to_the_schedule(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")
    when = EXPIRES + FIRST_CHECK
    await backend.claim("a", when)
    await backend.record(
        "KSR-1", "a", next_check_at=None, counted=False, rejected=True, review_reason="refused"
    )
    assert await backend.uids("a", when + timedelta(days=1)) == []

    assert await backend.resolve("KSR-1", now=when)
    assert not await backend.resolve("KSR-1", now=when)

    assert await backend.queue.list_needing_review() == []
    [item] = await backend.claim("a", when + timedelta(minutes=1))
    assert (item.flagged_at, item.rejected_checks) == (None, 0)


async def test_refused_checks_are_counted_until_a_check_is_made(backend: Backend) -> None:
    await backend.pending("KSR-1")
    when = EXPIRES + FIRST_CHECK
    for n in range(2):
        [item] = await backend.claim("a", when + timedelta(minutes=n))
        assert item.rejected_checks == n
        await backend.record(
            "KSR-1",
            "a",
            next_check_at=when + timedelta(minutes=n + 1),
            counted=False,
            rejected=True,
        )
    [item] = await backend.claim("a", when + timedelta(minutes=2))
    assert item.rejected_checks == 2
    await backend.record("KSR-1", "a", next_check_at=when + timedelta(minutes=3))

    [item] = await backend.claim("a", when + timedelta(minutes=3))
    assert (item.rejected_checks, item.check_count) == (0, 1)


async def test_a_new_flag_reopens_a_resolved_review(backend: Backend) -> None:
    await backend.pending("KSR-1")
    await backend.flag("KSR-1", "first", now=NOW, next_check_at=None)
    await backend.resolve("KSR-1")
    later = NOW + timedelta(hours=1)

    await backend.flag("KSR-1", "second", now=later, next_check_at=None)

    [review] = await backend.queue.list_needing_review()
    assert (review.review_reason, review.review_required_at) == ("second", later)


async def test_a_cancelled_attempt_whose_qr_was_shown_is_watched_but_settled_ones_are_not(
    backend: Backend,
) -> None:
    for n, status in enumerate(
        [PaymentStatus.CANCELLED, PaymentStatus.EXPIRED, PaymentStatus.SUCCEEDED], start=1
    ):
        await backend.pending(f"KSR-{n}")
        await backend.change(f"KSR-{n}", status)
    abandoned = Payment.start_qris(order=await backend.order(), attempt_id="KSR-4", now=NOW)
    abandoned.cancel(reason="abandoned", now=NOW)
    await backend.add(abandoned)

    assert await backend.uids("a", EXPIRES + timedelta(hours=1)) == ["KSR-1"]


async def test_cash_payments_are_never_due(backend: Backend) -> None:
    order = await backend.order()
    async with backend.uow() as uow:
        shift = await open_shift_in(uow, "a")
        cash = take_cash(
            order=order,
            open_qris=None,
            attempt_id="KSR-C",
            tendered=50_000,
            taken_by="a",
            shift=shift,
            now=NOW,
        )
        await uow.payments.add(cash)
        await uow.orders.update(order)
        await uow.shifts.update(shift)
        await uow.commit()

    assert await backend.uids("a", NOW + timedelta(days=2)) == []


async def test_a_claim_takes_at_most_limit_attempts_oldest_first(backend: Backend) -> None:
    for n in range(1, 6):
        await backend.pending(f"KSR-{n}")
    due = EXPIRES + FIRST_CHECK

    first = await backend.uids("a", due, limit=2)
    rest = await backend.uids("b", due, limit=10)

    assert first == ["KSR-1", "KSR-2"]
    assert rest == ["KSR-3", "KSR-4", "KSR-5"]


async def test_concurrent_claims_give_each_due_attempt_to_one_owner(backend: Backend) -> None:
    for n in range(1, 13):
        await backend.pending(f"KSR-{n:02d}")
    due = EXPIRES + FIRST_CHECK

    batches = await asyncio.gather(*(backend.uids(f"o{n}", due, limit=3) for n in range(6)))

    claimed = [uid for batch in batches for uid in batch]
    assert sorted(claimed) == [f"KSR-{n:02d}" for n in range(1, 13)]


@pytest.mark.postgres
async def test_claims_from_separate_postgres_engines_never_share_an_attempt(
    postgres_engine: AsyncEngine, postgres_database_url: str
) -> None:
    setup = Backend(
        SqlAlchemyUnitOfWorkFactory(postgres_engine),
        SqlAlchemyReconciliationQueue(SqlAlchemyUnitOfWorkFactory(postgres_engine)),
    )
    for n in range(1, 21):
        await setup.pending(f"KSR-{n:02d}")
    engines = [create_engine_for(postgres_database_url) for _ in range(4)]
    try:
        queues = [
            Backend(setup.uow, SqlAlchemyReconciliationQueue(SqlAlchemyUnitOfWorkFactory(e)))
            for e in engines
        ]
        due = EXPIRES + FIRST_CHECK
        batches = await asyncio.gather(
            *(queues[n % 4].uids(f"o{n}", due, limit=2) for n in range(16))
        )
    finally:
        for engine in engines:
            await engine.dispose()

    claimed = [uid for batch in batches for uid in batch]
    assert len(claimed) == len(set(claimed)) == 20
