"""A status check that kasir schedules itself (`request_check`, for a signed success it cannot
confirm yet) is a committed due time on the attempt: the job claims it when the status-check
budget allows, a runner recording its own check never postpones it, and a runner can sleep
until it (`next_due_at`). The same rules on the in-memory, SQLite and PostgreSQL queues."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from tests.support.drawer import open_shift_in
from tests.support.queue_attempts import BACKENDS, EXPIRES, NOW, QueueAttempts, queue_attempts

from domain.payments import PaymentStatus
from domain.settlement import take_cash

INTERVAL = timedelta(seconds=30)
LEASE = timedelta(minutes=5)
GRACE = timedelta(seconds=75)
FIRST_CHECK = timedelta(minutes=2)


@dataclass
class Backend(QueueAttempts):
    async def uids(self, owner: str, now: datetime) -> list[str]:
        claimed = await self.queue.claim_due(
            owner=owner,
            now=now,
            lease_until=now + LEASE,
            creating_before=now - GRACE,
            expired_before=now - FIRST_CHECK,
            limit=10,
        )
        return [item.attempt_id for item in claimed]

    async def request(self, uid: str, now: datetime) -> datetime | None:
        return await self.queue.request_check(uid, now=now, min_interval=INTERVAL)

    async def checked(self, uid: str, at: datetime) -> None:
        """The gateway was asked about `uid` at `at` (the shared status-check budget)."""
        async with self.uow() as uow:
            assert await uow.payments.claim_status_check(uid, now=at, min_interval=INTERVAL)
            await uow.commit()

    async def next_due(self, now: datetime) -> datetime | None:
        return await self.queue.next_due_at(now=now, creating_before=now - GRACE)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return queue_attempts(request, Backend)


async def test_a_requested_check_is_due_when_the_budget_allows_long_before_any_slot(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")
    await backend.checked("KSR-1", NOW + timedelta(seconds=5))

    due = await backend.request("KSR-1", NOW + timedelta(seconds=15))

    assert due == NOW + timedelta(seconds=35)  # the last check plus the interval
    assert await backend.next_due(NOW + timedelta(seconds=15)) == due
    assert await backend.uids("a", due - timedelta(microseconds=1)) == []
    assert await backend.uids("a", due) == ["KSR-1"]


async def test_a_check_requested_for_an_attempt_not_checked_lately_is_due_at_once(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")
    await backend.checked("KSR-1", NOW)

    due = await backend.request("KSR-1", NOW + timedelta(minutes=1))

    assert due == NOW + timedelta(minutes=1)
    assert await backend.uids("a", due) == ["KSR-1"]


async def test_a_requested_check_of_a_creating_attempt_waits_for_the_grace_period(
    backend: Backend,
) -> None:
    await backend.creating("KSR-1")

    due = await backend.request("KSR-1", NOW + timedelta(seconds=10))

    assert due == NOW + timedelta(seconds=10)
    assert await backend.next_due(NOW + timedelta(seconds=10)) is None  # still in its grace
    assert await backend.uids("a", NOW + timedelta(seconds=20)) == []
    assert await backend.uids("a", NOW + GRACE + timedelta(seconds=1)) == ["KSR-1"]


@pytest.mark.parametrize(
    "status", [PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.EXPIRED]
)
async def test_no_check_is_requested_for_a_settled_attempt(
    backend: Backend, status: PaymentStatus
) -> None:
    await backend.pending("KSR-1")
    await backend.change("KSR-1", status)

    assert await backend.request("KSR-1", NOW) is None
    assert await backend.next_due(NOW) is None
    assert await backend.uids("a", EXPIRES + timedelta(days=2)) == []


async def test_no_check_is_requested_for_an_unknown_a_cash_or_a_flagged_attempt(
    backend: Backend,
) -> None:
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
    await backend.pending("KSR-R")
    when = EXPIRES + timedelta(days=1)
    assert await backend.uids("a", when) == ["KSR-R"]
    assert await backend.queue.record(
        "KSR-R",
        owner="a",
        next_check_at=None,
        counted=True,
        review_reason="still open",
        now=when,
        claimed_at=when,
    )

    assert await backend.request("KSR-unknown", NOW) is None
    assert await backend.request("KSR-C", NOW) is None
    assert await backend.request("KSR-R", when) is None


async def test_a_check_requested_while_a_runner_checks_survives_its_record(
    backend: Backend,
) -> None:
    """The runner's gateway call may have been answered before the payment; the callback that
    came meanwhile scheduled a check, and the runner's next slot must not push it back."""
    await backend.pending("KSR-1")
    slot = EXPIRES + FIRST_CHECK
    assert await backend.uids("a", slot) == ["KSR-1"]
    await backend.checked("KSR-1", slot)  # the runner asks the gateway: pending
    requested = await backend.request("KSR-1", slot + timedelta(seconds=2))  # a callback
    assert requested == slot + INTERVAL

    assert await backend.queue.record(
        "KSR-1",
        owner="a",
        next_check_at=EXPIRES + timedelta(minutes=15),
        counted=True,
        review_reason=None,
        now=slot + timedelta(seconds=3),
        claimed_at=slot,
    )

    assert await backend.next_due(slot + timedelta(seconds=3)) == requested
    assert await backend.uids("b", requested) == ["KSR-1"]


async def test_a_runners_sooner_next_check_wins_over_a_later_request(backend: Backend) -> None:
    await backend.pending("KSR-1")
    slot = EXPIRES + FIRST_CHECK
    assert await backend.uids("a", slot) == ["KSR-1"]
    await backend.checked("KSR-1", slot)
    await backend.request("KSR-1", slot)  # due at slot + 30 s
    sooner = slot + timedelta(seconds=10)

    await backend.queue.record(
        "KSR-1",
        owner="a",
        next_check_at=sooner,
        counted=False,
        review_reason=None,
        now=slot,
        claimed_at=slot,
    )

    assert await backend.next_due(slot) == sooner


async def test_a_runner_replaces_the_slot_it_claimed(backend: Backend) -> None:
    await backend.pending("KSR-1")
    slot = EXPIRES + FIRST_CHECK
    assert await backend.uids("a", slot) == ["KSR-1"]

    await backend.queue.record(
        "KSR-1",
        owner="a",
        next_check_at=None,
        counted=True,
        review_reason=None,
        now=slot,
        claimed_at=slot,
    )

    assert await backend.next_due(slot) is None
    assert await backend.uids("a", EXPIRES + timedelta(days=2)) == []


async def test_the_next_due_time_leaves_out_attempts_another_runner_holds(
    backend: Backend,
) -> None:
    await backend.pending("KSR-1")
    await backend.pending("KSR-2")
    first = await backend.request("KSR-1", NOW + timedelta(seconds=20))
    second = await backend.request("KSR-2", NOW + timedelta(seconds=40))
    assert first is not None
    assert second is not None
    assert await backend.next_due(NOW) == first

    assert await backend.uids("a", first) == ["KSR-1"]  # held by runner a for a while

    assert await backend.next_due(first) == second
