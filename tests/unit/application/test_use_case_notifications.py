"""Gateway notifications: a trigger, not proof. Local state decides first, then the gateway's
status; every change is applied exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from adapters.in_memory.gateway import FakePaymentGateway
from application.callers import Staff
from application.errors import (
    GatewayTimeout,
    GatewayUnavailable,
    InvalidNotification,
    NotificationRejected,
    StatusUnconfirmed,
)
from application.gateway import GatewayStatus, NotificationResult
from application.reconciliation import AttemptOutcome
from domain.events import (
    OrderPaid,
    PaymentExpired,
    PaymentFailed,
    PaymentSucceeded,
    RefundRequested,
    RefundRequired,
)
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus
from domain.refunds import SYSTEM_REQUESTER
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir


async def test_a_confirmed_success_pays_the_order_once(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome is AttemptOutcome.ORDER_PAID
    assert (handled.notification.attempt_id, handled.notification.amount) == (
        attempt.attempt_id,
        55_000,
    )
    assert handled.notification.result is NotificationResult.SUCCESS
    paid = kasir.payment(attempt.attempt_id)
    assert (paid.status, paid.paid_at) == (PaymentStatus.SUCCEEDED, kasir.clock.now())
    stored = kasir.order(order.key)
    assert (stored.status, stored.paid_by_attempt, stored.version) == (
        OrderStatus.PAID,
        attempt.attempt_id,
        1,
    )
    assert kasir.events.published == [
        PaymentSucceeded(attempt.attempt_id, order.key, "qris", 55_000, "pending"),
        OrderPaid(order.key, attempt.attempt_id),
    ]
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert len(kasir.business_commits()) == 1


async def test_a_duplicate_success_notification_changes_nothing_and_calls_no_gateway(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    await kasir.handle_notification.execute(fields)
    kasir.forget_history()
    before = kasir.snapshot()

    handled = await kasir.handle_notification.execute(fields)

    assert handled.outcome is AttemptOutcome.ALREADY_SETTLED
    assert kasir.snapshot() == before
    assert kasir.gateway.status_checks == []
    assert kasir.events.published == []
    assert kasir.business_commits() == []


async def test_a_notification_for_a_cash_payment_is_already_settled_without_a_gateway_call(
    kasir: Kasir, order: Order
) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    kasir.forget_history()
    fields = kasir.gateway.notification_for(cash.attempt_id, amount=55_000)

    handled = await kasir.handle_notification.execute(fields)

    assert handled.outcome is AttemptOutcome.ALREADY_SETTLED
    assert kasir.gateway.status_checks == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signature", "0" * 64),
        ("merchantCode", "OTHER01"),
        ("amount", "1000"),  # the signature covers the amount
        ("merchantOrderId", "KSR-TEST-0002"),
    ],
)
async def test_a_forged_notification_is_rejected_and_changes_nothing(
    kasir: Kasir, attempt: Payment, field: str, value: str
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    fields[field] = value
    before = kasir.snapshot()

    with pytest.raises(NotificationRejected):
        await kasir.handle_notification.execute(fields)

    assert kasir.snapshot() == before
    assert kasir.gateway.status_checks == []
    assert kasir.events.published == []


@pytest.mark.parametrize(
    "broken",
    [
        {"merchantOrderId": ""},
        {"signature": "   "},
        {"resultCode": ""},
        {"amount": "55.000"},
        {"amount": "-55000"},
    ],
)
async def test_a_malformed_notification_is_invalid_and_changes_nothing(
    kasir: Kasir, attempt: Payment, broken: dict[str, str]
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id) | broken
    before = kasir.snapshot()

    with pytest.raises(InvalidNotification):
        await kasir.handle_notification.execute(fields)

    assert kasir.snapshot() == before
    assert kasir.gateway.status_checks == []


async def test_a_notification_for_an_unknown_attempt_id_changes_nothing(
    kasir: Kasir, attempt: Payment
) -> None:
    before = kasir.snapshot()

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for("KSR-NEVER-ISSUED", amount=55_000)
    )

    assert handled.outcome is AttemptOutcome.UNKNOWN_PAYMENT
    assert kasir.snapshot() == before
    assert kasir.gateway.status_checks == []
    assert kasir.events.published == []


async def test_a_success_signed_for_another_amount_is_decided_by_the_gateways_status(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)  # the gateway confirms the attempt's own amount

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, amount=1_000)
    )

    assert handled.outcome is AttemptOutcome.ORDER_PAID
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.order(order.key).status is OrderStatus.PAID


async def test_a_success_for_another_amount_the_gateway_confirms_closes_the_attempt_at_once(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    kasir.gateway.transactions[attempt.attempt_id].amount = 1_000

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, amount=1_000)
    )

    assert handled.outcome is AttemptOutcome.AMOUNT_MISMATCH
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    closed = kasir.payment(attempt.attempt_id)
    assert (closed.is_open, closed.refund_amount) == (False, 1_000)
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT


async def test_a_success_the_gateway_still_reports_pending_changes_nothing_and_is_scheduled(
    kasir: Kasir, attempt: Payment
) -> None:
    before = kasir.snapshot()

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome is AttemptOutcome.SCHEDULED
    assert kasir.snapshot() == before
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.events.published == []
    due = kasir.clock.now() + kasir.min_check_interval  # when the budget allows the next call
    assert kasir.queue.bookkeeping[attempt.attempt_id].next_check_at == due
    assert kasir.alarm.last_due == due


@pytest.mark.parametrize(
    "error", [GatewayUnavailable("status endpoint down"), GatewayTimeout("no answer")]
)
async def test_a_failing_status_check_changes_nothing_and_the_success_is_scheduled(
    kasir: Kasir, attempt: Payment, error: GatewayUnavailable | GatewayTimeout
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    kasir.gateway.fail_next_status(error)
    before = kasir.snapshot()

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome is AttemptOutcome.SCHEDULED
    assert kasir.snapshot() == before
    assert kasir.events.published == []
    due = kasir.clock.now() + kasir.min_check_interval
    assert kasir.queue.bookkeeping[attempt.attempt_id].next_check_at == due


async def test_a_failure_notification_the_gateway_confirms_fails_the_attempt(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="01")
    )

    assert handled.outcome is AttemptOutcome.FAILED
    failed = kasir.payment(attempt.attempt_id)
    assert (failed.status, failed.status_reason, failed.updated_at) == (
        PaymentStatus.FAILED,
        "the gateway reports it failed",
        kasir.clock.now(),
    )
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT
    assert kasir.events.published == [
        PaymentFailed(attempt.attempt_id, order.key, "the gateway reports it failed")
    ]


async def test_a_failure_notification_after_the_expiry_expires_the_attempt(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    kasir.clock.advance(timedelta(minutes=10))

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="01")
    )

    assert handled.outcome is AttemptOutcome.EXPIRED
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.EXPIRED
    assert kasir.events.published == [PaymentExpired(attempt.attempt_id, order.key)]


@pytest.mark.parametrize("result_code", ["01", "02"])
async def test_a_non_success_notification_while_the_gateway_says_pending_is_still_pending(
    kasir: Kasir, attempt: Payment, result_code: str
) -> None:
    before = kasir.snapshot()

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code=result_code)
    )

    assert handled.outcome is AttemptOutcome.STILL_PENDING
    assert kasir.snapshot() == before
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.events.published == []


async def test_a_non_success_notification_for_a_closed_attempt_needs_no_gateway_call(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await kasir.cancel_order.execute(order.key, reason="the table left", caller=Staff("staff:sari"))
    kasir.forget_history()
    before = kasir.snapshot()

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="01")
    )

    assert handled.outcome is AttemptOutcome.NOTHING_TO_DO
    assert kasir.snapshot() == before
    assert kasir.gateway.status_checks == []


async def test_a_late_success_on_an_expired_attempt_pays_the_order(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    kasir.clock.advance(timedelta(minutes=12))
    await kasir.run_reconciliation.execute()
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.EXPIRED
    kasir.forget_history()
    kasir.gateway.pay(attempt.attempt_id)  # the customer's bank settled it after all
    kasir.clock.advance(timedelta(minutes=1))

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome is AttemptOutcome.ORDER_PAID
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.SUCCEEDED
    assert kasir.order(order.key).paid_by_attempt == attempt.attempt_id
    assert kasir.events.published == [
        PaymentSucceeded(attempt.attempt_id, order.key, "qris", 55_000, "expired"),
        OrderPaid(order.key, attempt.attempt_id),
    ]


async def test_a_late_success_after_cash_requires_a_refund_and_keeps_the_cash_payment(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    kasir.forget_history()
    kasir.clock.advance(kasir.min_check_interval)  # the cashier's status check spent the budget
    kasir.gateway.pay(attempt.attempt_id)

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome is AttemptOutcome.REFUND_REQUIRED
    stored = kasir.order(order.key)
    assert (stored.status, stored.paid_by_attempt, stored.version) == (
        OrderStatus.PAID,
        cash.attempt_id,
        1,
    )
    late = kasir.payment(attempt.attempt_id)
    assert late.status is PaymentStatus.SUCCEEDED
    assert late.refund_open
    assert (late.refund_required_at, late.refund_reason) == (
        kasir.clock.now(),
        f"order {order.key} was already paid",
    )
    assert kasir.events.published == [
        PaymentSucceeded(attempt.attempt_id, order.key, "qris", 55_000, "cancelled"),
        RefundRequired(
            attempt.attempt_id, order.key, 55_000, f"order {order.key} was already paid"
        ),
        # The money joins the refund workflow: a request of the system, for an admin to approve.
        RefundRequested(1, order.key, 55_000, "qris", SYSTEM_REQUESTER),
    ]


async def test_a_late_success_on_a_cancelled_order_requires_a_refund(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await kasir.cancel_order.execute(order.key, reason="the table left", caller=Staff("staff:sari"))
    kasir.gateway.pay(attempt.attempt_id)

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome is AttemptOutcome.REFUND_REQUIRED
    assert kasir.order(order.key).status is OrderStatus.CANCELLED
    assert kasir.payment(attempt.attempt_id).refund_open


class YieldingGateway(FakePaymentGateway):
    """A status check that lets every other task run first, as a network call would."""

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        await asyncio.sleep(0)
        return await super().check_status(attempt_id)


async def test_fifty_concurrent_identical_success_notifications_pay_the_order_once(
    kasir: Kasir, order: Order
) -> None:
    # Each duplicate lands on its own process and may ask the gateway: only the database
    # (writer lock, conditional updates) stands between them and a second payment.
    kasir.min_check_interval = timedelta(0)
    kasir.gateway = gateways.verified_fake(YieldingGateway)
    kasir.uow.interleave = True
    attempt = (await kasir.start(order)).payment
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    kasir.forget_history()

    handled = await asyncio.gather(
        *(kasir.handle_notification_in_another_process().execute(dict(fields)) for _ in range(50))
    )

    outcomes = sorted(h.outcome.value for h in handled)
    assert outcomes == ["already_settled"] * 49 + ["order_paid"]
    assert len(kasir.gateway.status_checks) == 50  # all fifty raced past the local check
    assert kasir.published(PaymentSucceeded) == [
        PaymentSucceeded(attempt.attempt_id, order.key, "qris", 55_000, "pending")
    ]
    assert kasir.published(OrderPaid) == [OrderPaid(order.key, attempt.attempt_id)]
    stored = kasir.order(order.key)
    assert (stored.status, stored.paid_by_attempt, stored.version) == (
        OrderStatus.PAID,
        attempt.attempt_id,
        1,
    )
    assert len(kasir.business_commits()) == 1


async def test_fifty_concurrent_duplicates_in_one_process_share_one_status_check_and_pay_once(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway = gateways.verified_fake(YieldingGateway)
    kasir.uow.interleave = True
    kasir.pause = asyncio.sleep  # the duplicates poll in real time while the one check runs
    attempt = (await kasir.start(order)).payment
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    kasir.forget_history()

    results = await asyncio.gather(
        *(kasir.handle_notification.execute(dict(fields)) for _ in range(50)),
        return_exceptions=True,
    )

    outcomes = [r.outcome for r in results if not isinstance(r, BaseException)]
    deferred = [r for r in results if isinstance(r, BaseException)]
    assert outcomes.count(AttemptOutcome.ORDER_PAID) == 1
    assert set(outcomes) <= {AttemptOutcome.ORDER_PAID, AttemptOutcome.ALREADY_SETTLED}
    assert all(isinstance(error, StatusUnconfirmed) for error in deferred)  # the sender retries
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert len(kasir.published(PaymentSucceeded)) == 1
    assert kasir.published(OrderPaid) == [OrderPaid(order.key, attempt.attempt_id)]
    assert kasir.order(order.key).version == 1

    retried = await kasir.handle_notification.execute(fields)

    assert retried.outcome is AttemptOutcome.ALREADY_SETTLED
    assert len(kasir.published(PaymentSucceeded)) == 1


class AmountlessGateway(FakePaymentGateway):
    """Reports a paid transaction without its amount, as a broken gateway answer might."""

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        status = await super().check_status(attempt_id)
        return GatewayStatus(attempt_id, status.state, None, status.gateway_reference)


async def test_a_success_the_gateway_reports_paid_without_an_amount_changes_nothing_and_is_flagged(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway = gateways.verified_fake(AmountlessGateway)
    attempt = (await kasir.start(order)).payment
    kasir.gateway.pay(attempt.attempt_id)
    before = kasir.snapshot()

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome is AttemptOutcome.AMOUNT_UNKNOWN
    assert kasir.snapshot().payments == before.payments
    assert kasir.store.inbox[handled.entry_id].needs_review
