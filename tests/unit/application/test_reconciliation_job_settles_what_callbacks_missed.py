"""The reconciliation job (RunReconciliation) on in-memory fakes: lost callbacks, expiry,
late successes, unknown create outcomes, the check schedule and its budget."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from adapters.in_memory.gateway import FakePaymentGateway
from adapters.in_memory.reconciliation_queue import InMemoryReconciliationQueue
from application.callers import Staff
from application.errors import GatewayTimeout, GatewayUnavailable, PaymentInProgress
from application.gateway import GatewayStatus, QrisCharge, QrisChargeRequest
from application.reconciliation import ABANDONED_REASON, AttemptOutcome
from application.reconciliation_schedule import CHECK_SCHEDULE, DEFAULT_CREATING_GRACE
from application.use_cases.run_reconciliation import ReconciliationReport, RunReconciliation
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir, Menu


GRACE = DEFAULT_CREATING_GRACE
SECOND = timedelta(seconds=1)


@pytest.fixture
def queue(kasir: Kasir) -> InMemoryReconciliationQueue:
    return kasir.queue


def job(
    kasir: Kasir, queue: InMemoryReconciliationQueue, *, batch_size: int = 5, max_checks: int = 100
) -> RunReconciliation:
    return RunReconciliation(
        queue, kasir.reconciler, kasir.clock, batch_size=batch_size, max_checks=max_checks
    )


async def run(
    kasir: Kasir, queue: InMemoryReconciliationQueue, owner: str = "runner-1"
) -> ReconciliationReport:
    return await job(kasir, queue).execute(owner=owner)


def expiry(attempt: Payment) -> datetime:
    assert attempt.expires_at is not None
    return attempt.expires_at


class DiesAfterCreate(FakePaymentGateway):
    """The gateway takes the create, then the process dies before the answer is recorded
    (until `dying` is turned off: the restarted process)."""

    dying = True

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        charge = await super().create_qris(request)
        if self.dying:
            raise asyncio.CancelledError
        return charge


class DiesBeforeCreate(FakePaymentGateway):
    """The process dies after recording the attempt, before the gateway heard of it."""

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        raise asyncio.CancelledError


class SlowStatus(FakePaymentGateway):
    """Status checks take a moment, so concurrent runners interleave."""

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        await asyncio.sleep(0.001)
        return await super().check_status(attempt_id)


# --- lost callbacks and expiry ----------------------------------------------------------------


async def test_a_lost_callback_is_recovered_two_minutes_after_the_expiry(
    kasir: Kasir, queue: InMemoryReconciliationQueue, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)  # paid; the callback never arrives

    kasir.clock.set(expiry(attempt) + timedelta(minutes=2) - SECOND)
    early = await run(kasir, queue)
    kasir.clock.set(expiry(attempt) + timedelta(minutes=2))
    report = await run(kasir, queue)

    assert early.outcomes == {}
    assert report.outcomes == {attempt.attempt_id: "order_paid"}
    assert kasir.order(order.key).status is OrderStatus.PAID
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.SUCCEEDED
    assert kasir.gateway.status_checks == [attempt.attempt_id]


async def test_an_attempt_the_gateway_did_not_collect_is_expired_at_its_first_check(
    kasir: Kasir, queue: InMemoryReconciliationQueue, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)  # the QR ran out at the gateway too
    kasir.clock.set(expiry(attempt) + timedelta(minutes=2))

    report = await run(kasir, queue)

    assert report.outcomes == {attempt.attempt_id: "expired"}
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.EXPIRED
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT
    kasir.clock.advance(timedelta(days=2))
    assert (await run(kasir, queue)).outcomes == {}
    assert kasir.gateway.status_checks == [attempt.attempt_id]


async def test_an_attempt_the_gateway_keeps_open_is_checked_once_per_slot_then_reviewed(
    kasir: Kasir, queue: InMemoryReconciliationQueue, attempt: Payment
) -> None:
    for offset in CHECK_SCHEDULE:
        slot = expiry(attempt) + offset
        kasir.clock.set(slot - SECOND)
        assert (await run(kasir, queue)).outcomes == {}
        kasir.clock.set(slot)
        assert (await run(kasir, queue)).outcomes == {attempt.attempt_id: "still_pending"}
        assert (await run(kasir, queue, "runner-2")).outcomes == {}

    assert kasir.gateway.status_checks == [attempt.attempt_id] * len(CHECK_SCHEDULE)
    [item] = await queue.list_needing_review()
    assert item.payment.attempt_id == attempt.attempt_id
    assert item.check_count == len(CHECK_SCHEDULE)
    assert "24 h after its expiry" in item.review_reason
    kasir.clock.advance(timedelta(days=7))
    assert (await run(kasir, queue)).outcomes == {}


async def test_slots_missed_while_the_service_was_down_are_covered_by_one_check(
    kasir: Kasir, queue: InMemoryReconciliationQueue, attempt: Payment
) -> None:
    kasir.clock.set(expiry(attempt) + timedelta(hours=3))

    await run(kasir, queue)
    await run(kasir, queue)

    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert queue.bookkeeping[attempt.attempt_id].next_check_at == expiry(attempt) + timedelta(
        hours=6
    )


async def test_a_late_success_on_an_expired_attempt_of_a_still_unpaid_order_pays_it(
    kasir: Kasir, queue: InMemoryReconciliationQueue, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    kasir.clock.set(expiry(attempt) + timedelta(minutes=2))
    await run(kasir, queue)
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.EXPIRED

    kasir.gateway.pay(attempt.attempt_id)  # the bank's late confirmation
    kasir.clock.advance(timedelta(minutes=5))
    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome is AttemptOutcome.ORDER_PAID
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.SUCCEEDED
    assert kasir.order(order.key).status is OrderStatus.PAID
    assert kasir.payment(attempt.attempt_id).refund_required_at is None


async def test_a_late_success_after_cash_is_flagged_for_refund_though_its_callback_was_lost(
    kasir: Kasir, queue: InMemoryReconciliationQueue, order: Order, attempt: Payment
) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=60_000, caller=Staff("siti"))
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.CANCELLED
    kasir.gateway.pay(attempt.attempt_id)  # the customer scanned the QR anyway

    kasir.clock.set(expiry(attempt) + timedelta(minutes=2))
    report = await run(kasir, queue)

    assert report.outcomes == {attempt.attempt_id: "refund_required"}
    refunded = kasir.payment(attempt.attempt_id)
    assert refunded.status is PaymentStatus.SUCCEEDED
    assert (refunded.refund_required_at, refunded.paid_at) == (kasir.clock.now(), kasir.clock.now())
    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id
    assert [p.attempt_id for p in await kasir.list_refunds.execute(caller=Staff("staff:sari"))] == [
        attempt.attempt_id
    ]


async def test_a_cancelled_attempt_the_gateway_confirms_closed_is_checked_only_once(
    kasir: Kasir, queue: InMemoryReconciliationQueue, order: Order, attempt: Payment
) -> None:
    await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("siti"))
    kasir.gateway.fail(attempt.attempt_id)

    kasir.clock.set(expiry(attempt) + timedelta(minutes=2))
    first = await run(kasir, queue)
    kasir.clock.advance(timedelta(days=2))
    later = await run(kasir, queue)

    assert first.outcomes == {attempt.attempt_id: "nothing_to_do"}
    assert later.outcomes == {}
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.CANCELLED


async def test_an_amount_the_gateway_reports_differently_closes_the_attempt_for_review_at_once(
    kasir: Kasir, queue: InMemoryReconciliationQueue, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    kasir.gateway.transactions[attempt.attempt_id].amount = 1_000
    kasir.clock.set(expiry(attempt) + timedelta(minutes=2))

    report = await run(kasir, queue)

    assert report.outcomes == {attempt.attempt_id: "amount_mismatch"}
    assert report.flagged_for_review == [attempt.attempt_id]
    [item] = await queue.list_needing_review()
    assert "1000" in item.review_reason
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.FAILED
    assert kasir.payment(attempt.attempt_id).amount_received == 1_000


# --- unknown create outcomes -------------------------------------------------------------------


async def test_a_create_that_timed_out_at_the_gateway_is_abandoned_after_the_grace_period(
    kasir: Kasir, queue: InMemoryReconciliationQueue, order: Order
) -> None:
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    [lost] = kasir.payments_of(order.key)
    assert lost.status is PaymentStatus.CREATING

    kasir.clock.advance(GRACE)
    assert (await run(kasir, queue)).outcomes == {}
    kasir.clock.advance(SECOND)
    report = await run(kasir, queue)
    started = await kasir.start(order)

    assert report.outcomes == {lost.attempt_id: "abandoned"}
    abandoned = kasir.payment(lost.attempt_id)
    assert (abandoned.status, abandoned.status_reason, abandoned.updated_at) == (
        PaymentStatus.CANCELLED,
        ABANDONED_REASON,
        kasir.clock.now(),
    )
    assert started.created
    assert started.payment.status is PaymentStatus.PENDING


@pytest.mark.parametrize(
    ("dies", "created_there", "outcome", "status"),
    [
        (DiesAfterCreate, True, "abandoned", PaymentStatus.CANCELLED),
        (DiesBeforeCreate, False, "failed", PaymentStatus.FAILED),
    ],
    ids=["killed-after-the-gateway-created-it", "killed-before-the-gateway-heard-of-it"],
)
async def test_a_process_killed_around_the_gateway_call_leaves_an_attempt_the_job_resolves(
    kasir: Kasir,
    queue: InMemoryReconciliationQueue,
    order: Order,
    dies: type[FakePaymentGateway],
    created_there: bool,
    outcome: str,
    status: PaymentStatus,
) -> None:
    """Created at the gateway but never recorded: abandoned; never created there: failed."""
    kasir.gateway = gateways.verified_fake(dies)
    with pytest.raises(asyncio.CancelledError):
        await kasir.start(order)
    [lost] = kasir.payments_of(order.key)
    assert lost.status is PaymentStatus.CREATING
    assert (lost.attempt_id in kasir.gateway.transactions) is created_there

    kasir.clock.advance(GRACE + SECOND)
    report = await run(kasir, queue)

    assert report.outcomes == {lost.attempt_id: outcome}
    assert kasir.payment(lost.attempt_id).status is status
    assert (await run(kasir, queue)).outcomes == {}


async def test_a_process_killed_after_the_gateway_call_is_resolved_by_the_next_qris_request(
    kasir: Kasir, order: Order
) -> None:
    gateway = kasir.gateway = gateways.verified_fake(DiesAfterCreate)
    with pytest.raises(asyncio.CancelledError):
        await kasir.start(order)
    [lost] = kasir.payments_of(order.key)
    with pytest.raises(PaymentInProgress):
        await kasir.start(order)  # within the grace period the outcome may still arrive

    gateway.dying = False
    kasir.clock.advance(timedelta(seconds=31))
    started = await kasir.start(order)

    assert started.created
    assert started.payment.attempt_id != lost.attempt_id
    assert kasir.payment(lost.attempt_id).status is PaymentStatus.CANCELLED
    assert kasir.payment(lost.attempt_id).status_reason == ABANDONED_REASON


async def test_a_creating_attempt_the_customer_somehow_paid_pays_the_order(
    kasir: Kasir, queue: InMemoryReconciliationQueue, order: Order
) -> None:
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    [lost] = kasir.payments_of(order.key)
    kasir.gateway.pay(lost.attempt_id)

    kasir.clock.advance(GRACE + SECOND)
    report = await run(kasir, queue)

    assert report.outcomes == {lost.attempt_id: "order_paid"}
    assert kasir.order(order.key).status is OrderStatus.PAID


async def test_a_status_check_leaves_a_creating_attempt_the_gateway_holds_pending_by_default(
    kasir: Kasir, order: Order
) -> None:
    """Only a caller that knows its answer was lost (the job, a new QRIS request) abandons it."""
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    [lost] = kasir.payments_of(order.key)
    kasir.clock.advance(GRACE + SECOND)
    before = kasir.snapshot()

    outcome = await kasir.reconciler.reconcile(lost.attempt_id)

    assert outcome.value == "still_pending"
    assert kasir.snapshot() == before
    assert kasir.payment(lost.attempt_id).status is PaymentStatus.CREATING


# --- the call budget ---------------------------------------------------------------------------


async def test_a_check_made_moments_ago_defers_the_slot_without_using_it_up(
    kasir: Kasir, queue: InMemoryReconciliationQueue, attempt: Payment
) -> None:
    kasir.clock.set(expiry(attempt) + timedelta(minutes=2))
    await kasir.reconciler.reconcile(attempt.attempt_id)  # a callback asked just now

    deferred = await run(kasir, queue)
    kasir.clock.advance(timedelta(seconds=29))
    too_soon = await run(kasir, queue)
    kasir.clock.advance(SECOND)
    checked = await run(kasir, queue)

    assert deferred.deferred == [attempt.attempt_id]
    assert too_soon.claimed == 0
    assert checked.outcomes == {attempt.attempt_id: "still_pending"}
    assert queue.bookkeeping[attempt.attempt_id].check_count == 1
    assert kasir.gateway.status_checks == [attempt.attempt_id] * 2


async def test_a_gateway_error_is_retried_five_minutes_later_without_using_up_the_slot(
    kasir: Kasir, queue: InMemoryReconciliationQueue, attempt: Payment
) -> None:
    kasir.gateway.fail_next_status(GatewayUnavailable("down"))
    kasir.clock.set(expiry(attempt) + timedelta(minutes=2))

    failed = await run(kasir, queue)
    kasir.clock.advance(timedelta(minutes=5) - SECOND)
    waiting = await run(kasir, queue)
    kasir.clock.advance(SECOND)
    retried = await run(kasir, queue)

    assert failed.errors == {attempt.attempt_id: "gateway_unavailable"}
    assert waiting.claimed == 0
    assert retried.outcomes == {attempt.attempt_id: "still_pending"}
    assert queue.bookkeeping[attempt.attempt_id].check_count == 1


async def test_two_runners_at_once_check_each_attempt_once(
    kasir: Kasir, queue: InMemoryReconciliationQueue, menu: Menu
) -> None:
    kasir.gateway = gateways.verified_fake(SlowStatus)
    nasi = menu.es_teh
    attempts = [(await kasir.start(await kasir.place((nasi, 1)))).payment for _ in range(8)]
    kasir.clock.set(expiry(attempts[0]) + timedelta(minutes=2))

    reports = await asyncio.gather(
        job(kasir, queue, batch_size=2).execute(owner="process-a"),
        job(kasir, queue, batch_size=2).execute(owner="process-b"),
    )

    checked = sorted(kasir.gateway.status_checks)
    assert checked == sorted(a.attempt_id for a in attempts)
    assert all(report.claimed > 0 for report in reports)
    assert sum(report.claimed for report in reports) == len(attempts)


async def test_one_pass_checks_at_most_max_checks_attempts(
    kasir: Kasir, queue: InMemoryReconciliationQueue, menu: Menu
) -> None:
    nasi = menu.es_teh
    attempts = [(await kasir.start(await kasir.place((nasi, 1)))).payment for _ in range(5)]
    kasir.clock.set(expiry(attempts[-1]) + timedelta(minutes=2))

    first = await job(kasir, queue, max_checks=3, batch_size=2).execute()
    second = await job(kasir, queue, max_checks=3, batch_size=2).execute()

    assert (first.claimed, second.claimed) == (3, 2)
    assert first.summary()["outcomes"] == {"still_pending": 3}
