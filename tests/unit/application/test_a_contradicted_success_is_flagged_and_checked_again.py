"""A correctly signed success that the gateway's status contradicts (failed, not found): either
the gateway is inconsistent or its key leaked. It is stored, flagged for staff with both facts,
and the attempt stays on the reconciliation schedule, so a later paid status still settles it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import GatewayTimeout
from application.reconciliation import AttemptOutcome
from application.reconciliation_schedule import CHECK_SCHEDULE, ReviewReason
from domain.events import PaymentFailed, PaymentFlaggedForReview
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir


SAYS = {"failed": "reports it failed", "not_found": "has no such transaction"}


def contradicted(kasir: Kasir, attempt: Payment, gateway_says: str) -> dict[str, str]:
    """A signed success notification, and the gateway's status saying otherwise."""
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    if gateway_says == "failed":
        kasir.gateway.fail(attempt.attempt_id)
    else:
        kasir.gateway.transactions.pop(attempt.attempt_id)
    return fields


def detail(gateway_says: str) -> str:
    return (
        f"a correctly signed notification said 55000 was paid, but the gateway "
        f"{SAYS[gateway_says]}: either the gateway is inconsistent or its key has leaked"
    )


@pytest.mark.parametrize("gateway_says", ["failed", "not_found"])
async def test_a_contradicted_success_is_stored_flagged_with_both_facts_and_counted(
    kasir: Kasir, order: Order, attempt: Payment, gateway_says: str
) -> None:
    fields = contradicted(kasir, attempt, gateway_says)

    handled = await kasir.handle_notification.execute(fields)

    assert handled.outcome is AttemptOutcome.CONTRADICTED
    entry = kasir.store.inbox[handled.entry_id]
    assert (entry.outcome, entry.detail, entry.needs_review, entry.processed_at) == (
        "contradicted",
        detail(gateway_says),
        True,
        kasir.clock.now(),
    )
    [review] = await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari"))
    assert (review.payment.attempt_id, review.review_reason, review.review_required_at) == (
        attempt.attempt_id,
        detail(gateway_says),
        kasir.clock.now(),
    )
    flagged = PaymentFlaggedForReview(
        attempt.attempt_id, ReviewReason.SUCCESS_CONTRADICTED.value, detail(gateway_says)
    )
    assert kasir.published(PaymentFlaggedForReview) == [flagged]
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.FAILED
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT
    assert kasir.published(PaymentFailed)[0].attempt_id == attempt.attempt_id
    assert kasir.store.bookkeeping[attempt.attempt_id].next_check_at == (
        kasir.clock.now() + CHECK_SCHEDULE[0]
    )


async def test_a_later_paid_status_found_by_the_job_still_pays_the_order(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await kasir.handle_notification.execute(contradicted(kasir, attempt, "failed"))
    flagged_at = kasir.clock.now()
    kasir.gateway.pay(attempt.attempt_id)  # the gateway makes up its mind

    kasir.clock.set(flagged_at + CHECK_SCHEDULE[0] - timedelta(seconds=1))
    early = await kasir.run_reconciliation.execute()
    kasir.clock.set(flagged_at + CHECK_SCHEDULE[0])
    report = await kasir.run_reconciliation.execute()

    assert early.claimed == 0
    assert report.outcomes == {attempt.attempt_id: "order_paid"}
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.SUCCEEDED
    assert kasir.order(order.key).paid_by_attempt == attempt.attempt_id
    assert await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari")) == []


async def test_a_contradicted_attempt_is_checked_on_every_slot_and_stays_listed(
    kasir: Kasir, attempt: Payment
) -> None:
    await kasir.handle_notification.execute(contradicted(kasir, attempt, "not_found"))
    flagged_at = kasir.clock.now()
    kasir.gateway.status_checks.clear()

    for offset in CHECK_SCHEDULE:
        kasir.clock.set(flagged_at + offset)
        report = await kasir.run_reconciliation.execute()
        assert report.outcomes == {attempt.attempt_id: "nothing_to_do"}
    kasir.clock.advance(timedelta(days=7))
    assert (await kasir.run_reconciliation.execute()).claimed == 0

    assert kasir.gateway.status_checks == [attempt.attempt_id] * len(CHECK_SCHEDULE)
    [review] = await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari"))
    assert review.review_reason == detail("not_found")


async def test_a_contradicted_success_on_a_qr_cash_replaced_becomes_a_refund_when_paid_later(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    kasir.clock.advance(timedelta(seconds=31))  # past the status check the cashier made
    handled = await kasir.handle_notification.execute(contradicted(kasir, attempt, "failed"))
    assert handled.outcome is AttemptOutcome.CONTRADICTED
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.CANCELLED
    kasir.gateway.pay(attempt.attempt_id)

    kasir.clock.advance(CHECK_SCHEDULE[0])
    report = await kasir.run_reconciliation.execute()

    assert report.outcomes == {attempt.attempt_id: "refund_required"}
    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id
    assert [p.attempt_id for p in await kasir.list_refunds.execute(caller=Staff("staff:sari"))] == [
        attempt.attempt_id
    ]


async def test_a_failure_notification_the_gateway_confirms_is_not_a_contradiction(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="01")
    )

    assert handled.outcome is AttemptOutcome.FAILED
    assert await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari")) == []
    assert kasir.published(PaymentFlaggedForReview) == []


async def test_a_notification_never_abandons_a_creating_attempt_the_gateway_holds_pending(
    kasir: Kasir, order: Order
) -> None:
    """Only a caller that knows the create answer was lost abandons it; a notification proves
    the gateway has the transaction, whose QR may be on the customer's screen."""
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    [creating] = kasir.payments_of(order.key)
    kasir.clock.advance(timedelta(minutes=2))

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(creating.attempt_id, result_code="01")
    )

    assert handled.outcome is AttemptOutcome.STILL_PENDING
    assert kasir.payment(creating.attempt_id).status is PaymentStatus.CREATING
