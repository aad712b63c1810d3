"""The gateway reports an attempt paid with another amount than the order's total: the order is
never paid by it, the attempt closes (closed_reason amount_mismatch, amount_received), the
money received is a refund to make, staff see it, and the order takes a new QR or cash."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.reconciliation import AttemptOutcome
from application.reconciliation_schedule import ReviewReason
from domain.errors import InvalidTransition
from domain.events import (
    PaymentAmountMismatch,
    PaymentCancelled,
    PaymentFlaggedForReview,
    RefundRequested,
    RefundRequired,
)
from domain.orders import Order, OrderStatus
from domain.payments import ClosedReason, Payment, PaymentStatus
from domain.refunds import SYSTEM_REQUESTER

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir


REASON = "the gateway reports 1000 paid on an attempt of 55000"
FIRST_SLOT = timedelta(minutes=12)  # the attempt's expiry (10 min) + the job's first 2 min


def paid_another_amount(kasir: Kasir, attempt: Payment, amount: int = 1_000) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    kasir.gateway.transactions[attempt.attempt_id].amount = amount


def assert_closed_with_a_refund_of(kasir: Kasir, attempt: Payment, status: PaymentStatus) -> None:
    closed = kasir.payment(attempt.attempt_id)
    now = kasir.clock.now()
    assert (closed.status, closed.closed_reason, closed.amount_received) == (
        status,
        ClosedReason.AMOUNT_MISMATCH,
        1_000,
    )
    assert (closed.refund_required_at, closed.refund_reason, closed.updated_at) == (
        now,
        REASON,
        now,
    )
    assert closed.refund_amount == 1_000
    assert closed.paid_at is None


async def test_a_status_of_another_amount_closes_the_attempt_and_the_order_stays_unpaid(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    fields = kasir.gateway.notification_for(attempt.attempt_id)  # signed for 55 000
    paid_another_amount(kasir, attempt)

    handled = await kasir.handle_notification.execute(fields)

    assert handled.outcome is AttemptOutcome.AMOUNT_MISMATCH
    assert_closed_with_a_refund_of(kasir, attempt, PaymentStatus.FAILED)
    assert kasir.payment(attempt.attempt_id).status_reason == REASON
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT
    assert kasir.events.published == [
        PaymentAmountMismatch(attempt.attempt_id, order.key, 55_000, 1_000, "pending"),
        RefundRequired(attempt.attempt_id, order.key, 1_000, REASON),
        RefundRequested(1, order.key, 1_000, "qris", SYSTEM_REQUESTER),
        PaymentFlaggedForReview(attempt.attempt_id, ReviewReason.AMOUNT_MISMATCH.value, REASON),
    ]
    [review] = await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari"))
    assert (review.payment.attempt_id, review.review_reason) == (attempt.attempt_id, REASON)
    assert review.review_required_at == kasir.clock.now()
    [refund] = await kasir.list_refunds.execute(caller=Staff("staff:sari"))
    assert (refund.attempt_id, refund.refund_amount) == (attempt.attempt_id, 1_000)
    assert kasir.store.inbox[handled.entry_id].needs_review
    # The money is recorded: nothing left for the job to ask the gateway about.
    assert kasir.store.bookkeeping[attempt.attempt_id].next_check_at is None


async def test_after_an_amount_mismatch_the_order_takes_a_new_qr(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    paid_another_amount(kasir, attempt)
    await kasir.handle_notification.execute(fields)
    kasir.gateway.status_checks.clear()

    started = await kasir.start(order)

    assert started.created
    assert started.payment.attempt_id != attempt.attempt_id
    assert started.payment.status is PaymentStatus.PENDING
    assert kasir.gateway.status_checks == []


async def test_after_an_amount_mismatch_the_order_is_paid_in_cash_and_the_refund_stays(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    paid_another_amount(kasir, attempt)
    await kasir.handle_notification.execute(fields)

    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id
    assert [p.attempt_id for p in await kasir.list_refunds.execute(caller=Staff("staff:sari"))] == [
        attempt.attempt_id
    ]


async def test_a_new_qr_request_past_the_expiry_resolves_the_mismatch_and_creates_a_new_qr(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    """The callback was lost; the customer asks again after the QR ran out: one status call
    closes the old attempt, and the new QR is created instead of answering 409 forever."""
    paid_another_amount(kasir, attempt)
    kasir.clock.advance(timedelta(minutes=11))

    started = await kasir.start(order)

    assert started.created
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert_closed_with_a_refund_of(kasir, attempt, PaymentStatus.FAILED)
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT


async def test_the_job_closes_an_attempt_paid_with_another_amount_and_stops_checking_it(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    paid_another_amount(kasir, attempt)
    kasir.clock.advance(FIRST_SLOT)

    report = await kasir.run_reconciliation.execute()
    kasir.clock.advance(timedelta(days=2))
    later = await kasir.run_reconciliation.execute()

    assert report.outcomes == {attempt.attempt_id: AttemptOutcome.AMOUNT_MISMATCH.value}
    assert report.flagged_for_review == [attempt.attempt_id]
    assert later.claimed == 0
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    kasir.clock.advance(-timedelta(days=2))
    assert_closed_with_a_refund_of(kasir, attempt, PaymentStatus.FAILED)


async def test_the_same_mismatch_reported_again_changes_nothing(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    paid_another_amount(kasir, attempt)
    fields = kasir.gateway.notification_for(attempt.attempt_id, amount=55_000)
    await kasir.handle_notification.execute(fields)
    kasir.clock.advance(timedelta(minutes=1))
    kasir.forget_history()
    before = kasir.snapshot()

    outcome = await kasir.reconciler.reconcile(attempt.attempt_id)

    assert outcome is AttemptOutcome.NOTHING_TO_DO
    assert kasir.snapshot() == before
    assert kasir.events.published == []


async def test_another_amount_paid_on_a_qr_cash_replaced_is_owed_back_and_keeps_its_status(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    paid_another_amount(kasir, attempt)
    kasir.clock.advance(timedelta(seconds=31))  # past the status check the cashier made
    kasir.forget_history()

    outcome = await kasir.reconciler.reconcile(attempt.attempt_id)

    assert outcome is AttemptOutcome.AMOUNT_MISMATCH
    assert_closed_with_a_refund_of(kasir, attempt, PaymentStatus.CANCELLED)
    assert kasir.payment(attempt.attempt_id).status_reason == "paid in cash"
    [review] = await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari"))
    assert review.review_reason == REASON
    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id
    assert kasir.published(PaymentCancelled) == []


async def test_another_amount_reported_for_a_succeeded_attempt_changes_nothing(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))
    kasir.gateway.transactions[attempt.attempt_id].amount = 1_000
    kasir.clock.advance(timedelta(minutes=1))
    kasir.forget_history()
    before = kasir.snapshot()

    outcome = await kasir.reconciler.reconcile(attempt.attempt_id)

    assert outcome is AttemptOutcome.NOTHING_TO_DO
    assert kasir.snapshot() == before
    assert kasir.order(order.key).paid_by_attempt == attempt.attempt_id


async def test_a_notification_of_another_amount_alone_closes_nothing_and_is_checked_later(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    """Unconfirmed: only the gateway's own status closes an attempt; until it answers paid,
    the attempt stays open and its status check is scheduled (not left until expiry)."""
    before = kasir.snapshot()

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, amount=1_000)
    )

    assert handled.outcome is AttemptOutcome.SCHEDULED
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.snapshot() == before
    assert await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari")) == []


def test_a_matching_amount_or_a_cash_payment_cannot_be_closed_as_a_mismatch(
    attempt: Payment,
) -> None:
    now = attempt.created_at
    with pytest.raises(InvalidTransition, match="matches"):
        attempt.close_amount_mismatch(amount_received=attempt.amount, now=now)
    cash = Payment(
        attempt_id="KSR-CASH",
        order_id=attempt.order_id,
        method=attempt.method.CASH,
        amount=55_000,
        status=PaymentStatus.SUCCEEDED,
        created_at=now,
        updated_at=now,
    )
    with pytest.raises(InvalidTransition, match="gateway payment"):
        cash.close_amount_mismatch(amount_received=1_000, now=now)
