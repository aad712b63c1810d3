"""Every notification is kept in the inbox before it is processed, and the gateway is asked
about one attempt at most once per interval (Duitku blocks merchants that poll)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from application.errors import (
    GatewayTimeout,
    InvalidNotification,
    NotificationRejected,
    PaymentInProgress,
)
from application.inbox import Verification
from application.reconciliation import AttemptOutcome
from domain.orders import Order
from domain.payments import Payment, PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

INTERVAL = timedelta(seconds=30)


async def test_a_handled_notification_is_kept_in_the_inbox_with_its_outcome(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)

    handled = await kasir.handle_notification.execute(fields, source_address="203.0.113.9")

    entry = kasir.store.inbox[handled.entry_id]
    assert entry.fields == fields
    assert (entry.attempt_id, entry.source_address, entry.signature) == (
        attempt.attempt_id,
        "203.0.113.9",
        fields["signature"],
    )
    assert (entry.verification, entry.outcome, entry.signature_scheme) == (
        Verification.VERIFIED,
        "order_paid",
        "hmac",
    )
    assert entry.processed_at == kasir.clock.now()
    assert not entry.needs_review


async def test_a_forged_notification_is_kept_as_rejected_and_changes_nothing_else(
    kasir: Kasir, attempt: Payment
) -> None:
    fields = kasir.gateway.notification_for(attempt.attempt_id) | {"signature": "f" * 64}
    before = kasir.snapshot()

    with pytest.raises(NotificationRejected):
        await kasir.handle_notification.execute(fields)

    [entry] = kasir.store.inbox.values()
    assert (entry.verification, entry.outcome) == (Verification.REJECTED, None)
    assert kasir.snapshot() == before


async def test_a_notification_from_a_source_not_allowed_is_rejected_unverified(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    before = kasir.snapshot()

    with pytest.raises(NotificationRejected):
        await kasir.handle_notification.execute(
            kasir.gateway.notification_for(attempt.attempt_id), source_allowed=False
        )

    [entry] = kasir.store.inbox.values()
    assert entry.verification is Verification.SOURCE_NOT_ALLOWED
    assert kasir.snapshot() == before
    assert kasir.gateway.status_checks == []


async def test_a_malformed_notification_is_kept_as_invalid(kasir: Kasir) -> None:
    with pytest.raises(InvalidNotification):
        await kasir.handle_notification.execute({"merchantOrderId": "KSR-TEST-0001"})

    [entry] = kasir.store.inbox.values()
    assert entry.verification is Verification.INVALID
    assert entry.detail is not None
    assert "missing" in entry.detail
    assert "merchantCode" in entry.detail


@pytest.mark.parametrize(
    ("attempt_id", "amount", "outcome"),
    [
        ("KSR-TEST-0001", 1_000, AttemptOutcome.AMOUNT_MISMATCH),
        ("KSR-NEVER-ISSUED", 55_000, AttemptOutcome.UNKNOWN_PAYMENT),
    ],
)
async def test_money_that_does_not_fit_is_flagged_for_staff(
    kasir: Kasir, attempt: Payment, attempt_id: str, amount: int, outcome: AttemptOutcome
) -> None:
    if attempt_id in kasir.gateway.transactions:  # the gateway confirms the amount notified
        kasir.gateway.pay(attempt_id)
        kasir.gateway.transactions[attempt_id].amount = amount
    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt_id, amount=amount)
    )

    assert handled.outcome is outcome
    assert kasir.store.inbox[handled.entry_id].needs_review


async def test_a_success_checked_moments_ago_is_scheduled_without_asking_the_gateway_again(
    kasir: Kasir, attempt: Payment
) -> None:
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    first = await kasir.handle_notification.execute(fields)  # still pending at the gateway
    checked_at = kasir.clock.now()
    kasir.gateway.pay(attempt.attempt_id)
    kasir.clock.advance(INTERVAL - timedelta(seconds=1))
    before = kasir.snapshot()

    second = await kasir.handle_notification.execute(fields)

    assert first.outcome is second.outcome is AttemptOutcome.SCHEDULED
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.snapshot() == before
    assert [e.outcome for e in kasir.store.inbox.values()] == ["scheduled", "scheduled"]
    # Due when the budget allows the next call, counted from the check, not from this request.
    assert kasir.queue.bookkeeping[attempt.attempt_id].next_check_at == checked_at + INTERVAL

    kasir.clock.advance(timedelta(seconds=1))
    handled = await kasir.handle_notification.execute(fields)

    assert handled.outcome is AttemptOutcome.ORDER_PAID
    assert kasir.gateway.status_checks == [attempt.attempt_id] * 2


async def test_a_failed_status_check_still_uses_up_the_interval(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    kasir.gateway.fail_next_status(GatewayTimeout("no answer"))
    first = await kasir.handle_notification.execute(fields)

    second = await kasir.handle_notification.execute(fields)

    assert first.outcome is second.outcome is AttemptOutcome.SCHEDULED
    first_entry = next(iter(kasir.store.inbox.values()))
    assert (first_entry.detail or "").startswith("the payment status could not be checked")
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.PENDING


async def test_a_non_success_notification_checked_moments_ago_is_still_pending(
    kasir: Kasir, attempt: Payment
) -> None:
    fields = kasir.gateway.notification_for(attempt.attempt_id, result_code="01")
    await kasir.handle_notification.execute(fields)
    kasir.gateway.fail(attempt.attempt_id)

    handled = await kasir.handle_notification.execute(fields)

    assert handled.outcome is AttemptOutcome.STILL_PENDING
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.PENDING


async def test_a_qris_request_whose_stale_attempt_was_checked_moments_ago_is_in_progress(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    kasir.clock.advance(kasir.creating_grace)
    await kasir.reconciler.reconcile("KSR-TEST-0001")  # e.g. a notification's check: pending
    kasir.forget_history()

    with pytest.raises(PaymentInProgress) as caught:
        await kasir.start(order)

    assert caught.value.retry_after == 30
    assert kasir.gateway.status_checks == []
    assert kasir.gateway.create_requests == []
    assert kasir.payment("KSR-TEST-0001").status is PaymentStatus.CREATING


async def test_an_attempt_a_notification_already_expired_is_not_asked_about_again(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    kasir.clock.advance(timedelta(minutes=10))
    await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="02")
    )
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.EXPIRED
    kasir.forget_history()

    kasir.clock.advance(timedelta(days=2))
    report = await kasir.run_reconciliation.execute()

    assert (report.outcomes, report.errors) == ({}, {})
    assert kasir.gateway.status_checks == []
