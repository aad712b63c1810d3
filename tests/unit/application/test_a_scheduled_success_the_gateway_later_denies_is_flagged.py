"""A correctly signed success that the gateway could not confirm yet is answered "scheduled":
kasir checks it itself when the status budget allows. If that check (or any later one) finds
the money never came, the signed claim was false: the attempt is flagged for staff with both
facts and stays on the schedule, exactly as when the first check contradicts it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import GatewayUnavailable
from application.reconciliation import AttemptOutcome
from application.reconciliation_schedule import CHECK_SCHEDULE, ReviewReason
from domain.events import PaymentFlaggedForReview
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

STAFF = Staff("staff:sari")
DENIALS = {
    "failed": "reports it failed or expired unpaid",
    "not_found": "has no such transaction",
}


async def scheduled_success(kasir: Kasir, attempt: Payment) -> None:
    """A signed success while the gateway still says pending: answered scheduled."""
    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )
    assert handled.outcome is AttemptOutcome.SCHEDULED


def deny(kasir: Kasir, attempt: Payment, gateway_says: str) -> None:
    if gateway_says == "failed":
        kasir.gateway.fail(attempt.attempt_id)
    else:
        kasir.gateway.transactions.pop(attempt.attempt_id)


@pytest.mark.parametrize("gateway_says", ["failed", "not_found"])
async def test_a_scheduled_success_that_the_gateway_then_denies_is_flagged_with_both_facts(
    kasir: Kasir, order: Order, attempt: Payment, gateway_says: str
) -> None:
    await scheduled_success(kasir, attempt)
    deny(kasir, attempt, gateway_says)
    kasir.clock.advance(timedelta(seconds=30))

    report = await kasir.run_reconciliation.execute()

    reason = (
        "a correctly signed notification said this attempt was paid, but the gateway "
        + DENIALS[gateway_says]
    )
    assert report.flagged_for_review == [attempt.attempt_id]
    [review] = await kasir.list_payments_needing_review.execute(caller=STAFF)
    assert (review.payment.attempt_id, review.review_reason) == (attempt.attempt_id, reason)
    assert kasir.published(PaymentFlaggedForReview) == [
        PaymentFlaggedForReview(attempt.attempt_id, ReviewReason.SUCCESS_CONTRADICTED.value, reason)
    ]
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT
    assert kasir.store.bookkeeping[attempt.attempt_id].next_check_at == (
        kasir.clock.now() + CHECK_SCHEDULE[0]
    )


async def test_a_scheduled_success_the_gateway_pays_later_still_pays_the_order(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await scheduled_success(kasir, attempt)
    deny(kasir, attempt, "failed")
    kasir.clock.advance(timedelta(seconds=30))
    await kasir.run_reconciliation.execute()
    kasir.gateway.pay(attempt.attempt_id)

    kasir.clock.advance(CHECK_SCHEDULE[0])
    report = await kasir.run_reconciliation.execute()

    assert report.outcomes == {attempt.attempt_id: "order_paid"}
    assert kasir.order(order.key).paid_by_attempt == attempt.attempt_id
    assert await kasir.list_payments_needing_review.execute(caller=STAFF) == []


async def test_a_scheduled_success_the_gateway_confirms_is_never_flagged(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await scheduled_success(kasir, attempt)
    kasir.gateway.pay(attempt.attempt_id)
    kasir.clock.advance(timedelta(seconds=30))

    report = await kasir.run_reconciliation.execute()

    assert report.outcomes == {attempt.attempt_id: "order_paid"}
    assert report.flagged_for_review == []
    assert kasir.published(PaymentFlaggedForReview) == []


async def test_an_attempt_that_expires_unpaid_without_a_signed_success_is_not_flagged(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    kasir.clock.advance(timedelta(minutes=10) + CHECK_SCHEDULE[0])

    report = await kasir.run_reconciliation.execute()

    assert report.outcomes == {attempt.attempt_id: "expired"}
    assert report.flagged_for_review == []
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.EXPIRED


async def test_a_failure_notification_whose_check_fails_is_not_kept_as_a_success_to_confirm(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.fail_next_status(GatewayUnavailable("down"))

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="02")
    )

    assert handled.outcome is AttemptOutcome.STILL_PENDING
    entry = kasir.store.inbox[handled.entry_id]
    assert entry.outcome == "still_pending"
