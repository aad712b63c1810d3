"""A status check the gateway refuses (a wrong key, an answer kasir cannot read) is not cured by
retrying: after MAX_REJECTED_CHECKS refusals in a row the attempt goes to staff instead of
being retried every few minutes forever. Transient errors keep the schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import GatewayRejected, GatewayTimeout, GatewayUnavailable
from application.reconciliation_schedule import (
    DEFAULT_CREATING_GRACE,
    MAX_REJECTED_CHECKS,
    ReviewReason,
)
from domain.events import PaymentFlaggedForReview
from domain.orders import Order
from domain.payments import Payment, PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir


FIRST_SLOT = timedelta(minutes=12)
RETRY = timedelta(minutes=5)
REASON = "the gateway refused 3 status checks in a row (gateway_rejected: Wrong signature)"


def refused() -> GatewayRejected:
    return GatewayRejected("status check refused", detail="Wrong signature")


async def test_three_refused_checks_in_a_row_hand_the_attempt_to_staff_and_stop_the_retries(
    kasir: Kasir, attempt: Payment
) -> None:
    assert MAX_REJECTED_CHECKS == 3
    kasir.clock.advance(FIRST_SLOT)
    reports = []
    for _ in range(MAX_REJECTED_CHECKS):
        kasir.gateway.fail_next_status(refused())
        reports.append(await kasir.run_reconciliation.execute())
        kasir.clock.advance(RETRY)
    kasir.clock.advance(timedelta(days=2))
    after = await kasir.run_reconciliation.execute()

    assert [r.errors for r in reports] == [{attempt.attempt_id: "gateway_rejected"}] * 3
    assert [r.flagged_for_review for r in reports] == [[], [], [attempt.attempt_id]]
    assert after.claimed == 0
    assert kasir.gateway.status_checks == [attempt.attempt_id] * 3
    [review] = await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari"))
    assert (review.payment.attempt_id, review.review_reason) == (attempt.attempt_id, REASON)
    assert review.review_required_at == kasir.clock.now() - timedelta(days=2) - RETRY
    assert kasir.published(PaymentFlaggedForReview) == [
        PaymentFlaggedForReview(
            attempt.attempt_id, ReviewReason.STATUS_CHECK_REJECTED.value, REASON
        )
    ]
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.PENDING


async def test_a_refused_check_before_the_limit_is_retried_five_minutes_later(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.clock.advance(FIRST_SLOT)
    kasir.gateway.fail_next_status(refused())

    first = await kasir.run_reconciliation.execute()
    kasir.clock.advance(RETRY - timedelta(seconds=1))
    waiting = await kasir.run_reconciliation.execute()
    kasir.clock.advance(timedelta(seconds=1))
    retried = await kasir.run_reconciliation.execute()

    assert first.errors == {attempt.attempt_id: "gateway_rejected"}
    assert waiting.claimed == 0
    assert retried.outcomes == {attempt.attempt_id: "still_pending"}
    assert kasir.store.bookkeeping[attempt.attempt_id].rejected_check_count == 0


async def test_an_answer_between_refusals_starts_the_count_again(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.clock.advance(FIRST_SLOT)
    for error in (refused(), refused(), None, refused(), refused()):
        if error is not None:
            kasir.gateway.fail_next_status(error)
        assert (await kasir.run_reconciliation.execute()).claimed == 1
        next_check_at = kasir.store.bookkeeping[attempt.attempt_id].next_check_at
        assert next_check_at is not None
        kasir.clock.set(next_check_at)

    assert await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari")) == []
    assert kasir.store.bookkeeping[attempt.attempt_id].rejected_check_count == 2


@pytest.mark.parametrize("error", [GatewayUnavailable("down"), GatewayTimeout("no answer")])
async def test_transient_errors_keep_the_schedule_however_many(
    kasir: Kasir, attempt: Payment, error: GatewayUnavailable
) -> None:
    kasir.clock.advance(FIRST_SLOT)
    for _ in range(MAX_REJECTED_CHECKS + 2):
        kasir.gateway.fail_next_status(error)
        assert (await kasir.run_reconciliation.execute()).errors == {attempt.attempt_id: error.code}
        kasir.clock.advance(RETRY)

    assert await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari")) == []
    assert kasir.store.bookkeeping[attempt.attempt_id].next_check_at == kasir.clock.now()


async def test_a_creating_attempt_whose_checks_are_refused_goes_to_staff_too(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    [lost] = kasir.payments_of(order.key)
    kasir.clock.advance(DEFAULT_CREATING_GRACE + timedelta(seconds=1))
    for _ in range(MAX_REJECTED_CHECKS):
        kasir.gateway.fail_next_status(refused())
        await kasir.run_reconciliation.execute()
        kasir.clock.advance(RETRY)

    [review] = await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari"))
    assert review.payment.attempt_id == lost.attempt_id
    assert review.payment.status is PaymentStatus.CREATING
    kasir.clock.advance(timedelta(days=1))
    assert (await kasir.run_reconciliation.execute()).claimed == 0
