"""A named staff member dismisses or resolves a payment listed in `needs_review`, with a note;
the review leaves the list, an amount mismatch's refund is resolved with it, and the attempt
goes back to the job's ordinary schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import GatewayRejected, NotFound
from application.reconciliation_schedule import MAX_REJECTED_CHECKS
from domain.errors import InvalidTransition
from domain.events import PaymentReviewResolved, RefundApproved, RefundMade, RefundResolved
from domain.orders import Order
from domain.payments import Payment

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir


async def contradicted(kasir: Kasir, attempt: Payment) -> None:
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    kasir.gateway.fail(attempt.attempt_id)
    await kasir.handle_notification.execute(fields)


async def test_a_resolved_review_leaves_the_list_with_who_when_and_the_note(
    kasir: Kasir, attempt: Payment
) -> None:
    await contradicted(kasir, attempt)
    kasir.clock.advance(timedelta(hours=1))
    kasir.forget_history()

    resolved = await kasir.resolve_payment_review.execute(
        attempt.attempt_id, caller=Staff("staff:sari"), note="Duitku support: not paid"
    )

    assert (resolved.resolved_at, resolved.resolved_by, resolved.note) == (
        kasir.clock.now(),
        "staff:sari",
        "Duitku support: not paid",
    )
    assert resolved.payment == kasir.payment(attempt.attempt_id)
    entry = kasir.store.bookkeeping[attempt.attempt_id]
    assert (entry.review_resolved_at, entry.review_resolved_by, entry.review_note) == (
        kasir.clock.now(),
        "staff:sari",
        "Duitku support: not paid",
    )
    assert await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari")) == []
    assert kasir.events.published == [PaymentReviewResolved(attempt.attempt_id, "staff:sari")]


async def test_resolving_an_amount_mismatch_resolves_its_refund(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    kasir.gateway.pay(attempt.attempt_id)
    kasir.gateway.transactions[attempt.attempt_id].amount = 1_000
    await kasir.handle_notification.execute(fields)
    kasir.clock.advance(timedelta(minutes=30))
    kasir.forget_history()

    await kasir.resolve_payment_review.execute(
        attempt.attempt_id, caller=Staff("staff:sari"), note="gave 1.000 back in cash"
    )

    refunded = kasir.payment(attempt.attempt_id)
    assert (refunded.refund_resolved_at, refunded.refund_resolved_by, refunded.refund_note) == (
        kasir.clock.now(),
        "staff:sari",
        "gave 1.000 back in cash",
    )
    assert await kasir.list_refunds.execute(caller=Staff("staff:sari")) == []
    assert kasir.events.published == [
        RefundResolved(attempt.attempt_id, order.key, "staff:sari"),
        # The system's refund request for that money is approved with the note as reference.
        RefundApproved(1, order.key, 1_000, "token:staff:sari"),
        RefundMade(1, order.key, 1_000, "qris", None, "gave 1.000 back in cash"),
        PaymentReviewResolved(attempt.attempt_id, "staff:sari"),
    ]


async def test_a_payment_not_waiting_for_review_cannot_be_resolved(
    kasir: Kasir, attempt: Payment
) -> None:
    before = kasir.snapshot()
    with pytest.raises(InvalidTransition, match="not waiting for review"):
        await kasir.resolve_payment_review.execute(
            attempt.attempt_id, caller=Staff("staff:sari"), note="x"
        )
    assert kasir.snapshot() == before
    assert kasir.events.published == []


async def test_a_review_cannot_be_resolved_twice(kasir: Kasir, attempt: Payment) -> None:
    await contradicted(kasir, attempt)
    await kasir.resolve_payment_review.execute(attempt.attempt_id, caller=Staff("a"), note="one")

    with pytest.raises(InvalidTransition):
        await kasir.resolve_payment_review.execute(
            attempt.attempt_id, caller=Staff("b"), note="two"
        )

    assert kasir.store.bookkeeping[attempt.attempt_id].review_resolved_by == "a"


async def test_resolving_an_unknown_payment_is_not_found(kasir: Kasir) -> None:
    with pytest.raises(NotFound):
        await kasir.resolve_payment_review.execute("KSR-NEVER", caller=Staff("a"), note="x")


async def test_a_resolved_refused_check_review_gives_the_attempt_back_to_the_job(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.clock.advance(timedelta(minutes=12))
    for _ in range(MAX_REJECTED_CHECKS):
        kasir.gateway.fail_next_status(GatewayRejected("refused", detail="Wrong signature"))
        await kasir.run_reconciliation.execute()
        kasir.clock.advance(timedelta(minutes=5))
    assert (await kasir.run_reconciliation.execute()).claimed == 0

    await kasir.resolve_payment_review.execute(
        attempt.attempt_id, caller=Staff("staff:admin"), note="API key fixed"
    )
    kasir.gateway.pay(attempt.attempt_id)
    report = await kasir.run_reconciliation.execute()

    assert report.outcomes == {attempt.attempt_id: "order_paid"}
    assert kasir.store.bookkeeping[attempt.attempt_id].rejected_check_count == 0


async def test_a_new_flag_reopens_a_resolved_review(kasir: Kasir, attempt: Payment) -> None:
    await contradicted(kasir, attempt)
    await kasir.resolve_payment_review.execute(attempt.attempt_id, caller=Staff("a"), note="ok")
    kasir.clock.advance(timedelta(minutes=1))

    await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))

    [review] = await kasir.list_payments_needing_review.execute(caller=Staff("staff:sari"))
    assert review.review_required_at == kasir.clock.now()
    assert kasir.store.bookkeeping[attempt.attempt_id].review_resolved_by is None
