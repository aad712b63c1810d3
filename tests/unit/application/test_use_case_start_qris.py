"""Starting a QRIS payment: record first, call the gateway outside any transaction, and
resolve attempts whose outcome is unknown before creating another."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from adapters.in_memory.gateway import FakePaymentGateway
from adapters.in_memory.store import InMemoryStore
from application.callers import Staff
from application.errors import (
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    NotFound,
    PaymentInProgress,
)
from application.gateway import Customer, QrisCharge, QrisChargeRequest
from application.reconciliation import ABANDONED_REASON
from application.use_cases.start_qris_payment import StartQrisPaymentCommand
from domain.errors import AmountMismatch, OrderNotPayable
from domain.events import (
    OrderPaid,
    PaymentCancelled,
    PaymentFailed,
    PaymentIssued,
    PaymentRequested,
    PaymentSucceeded,
)
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

GRACE = timedelta(seconds=30)
PAST_GRACE = GRACE + timedelta(seconds=1)


class StoreInspectingGateway(FakePaymentGateway):
    """Notes, on each create call, the committed attempt and whether a transaction is open."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__()
        self._store = store
        self.seen: list[tuple[PaymentStatus | None, bool]] = []

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        committed = self._store.payments.get(request.attempt_id)
        self.seen.append((committed.status if committed else None, self._store.write_lock.locked()))
        return await super().create_qris(request)


async def test_a_qris_payment_is_issued_for_the_order_total(kasir: Kasir, order: Order) -> None:
    started = await kasir.start(order)

    payment = started.payment
    assert started.created
    assert payment == kasir.payment("KSR-TEST-0001")
    assert (payment.status, payment.amount, payment.order_id) == (
        PaymentStatus.PENDING,
        55_000,
        order.key,
    )
    assert payment.gateway_reference == "FAKE01R00000001"
    assert payment.qr_string is not None
    assert payment.payment_url == "https://fake-gateway.invalid/pay/FAKE01R00000001"
    assert payment.expires_at == kasir.clock.now() + timedelta(minutes=10)
    [request] = kasir.gateway.create_requests
    assert (request.attempt_id, request.amount, request.description) == (
        "KSR-TEST-0001",
        55_000,
        "Restaurant order 1",
    )
    assert request.customer.email == "budi@example.test"
    assert kasir.events.published == [
        PaymentRequested("KSR-TEST-0001", order.key, "qris", 55_000),
        PaymentIssued("KSR-TEST-0001", order.key, "FAKE01R00000001"),
    ]
    assert kasir.gateway.status_checks == []


async def test_the_attempt_is_committed_as_creating_before_the_gateway_is_called(
    kasir: Kasir, order: Order
) -> None:
    gateway = StoreInspectingGateway(kasir.store)
    kasir.gateway = gateway

    await kasir.start(order)

    assert gateway.seen == [(PaymentStatus.CREATING, False)]  # committed, and no lock held
    assert len(kasir.business_commits()) == 2  # the attempt, then the gateway's answer


async def test_a_pending_attempt_is_handed_out_again_without_calling_the_gateway(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    again = await kasir.start(order)

    assert not again.created
    assert again.payment == attempt
    assert kasir.gateway.create_requests == []
    assert kasir.gateway.status_checks == []
    assert kasir.events.published == []
    assert len(kasir.payments_of(order.key)) == 1


async def test_an_unknown_order_is_not_found(kasir: Kasir, order: Order) -> None:
    with pytest.raises(NotFound):
        await kasir.start_qris_payment.execute(
            StartQrisPaymentCommand(
                order_id=99,
                amount=55_000,
                customer=Customer(name="Budi", email="budi@example.test"),
            ),
            caller=Staff("staff:sari"),
        )
    assert kasir.store.payments == {}
    assert kasir.gateway.create_requests == []


@pytest.mark.parametrize("amount", [54_999, 55_001, 0])
async def test_an_amount_other_than_the_order_total_is_refused(
    kasir: Kasir, order: Order, amount: int
) -> None:
    with pytest.raises(AmountMismatch):
        await kasir.start(order, amount=amount)

    assert kasir.store.payments == {}
    assert kasir.gateway.create_requests == []
    assert kasir.events.published == []


async def test_an_order_paid_in_cash_takes_no_qris_payment(kasir: Kasir, order: Order) -> None:
    await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    kasir.forget_history()

    with pytest.raises(OrderNotPayable):
        await kasir.start(order)

    assert kasir.gateway.create_requests == []
    assert kasir.business_commits() == []


async def test_a_cancelled_order_takes_no_qris_payment(kasir: Kasir, order: Order) -> None:
    await kasir.cancel_order.execute(order.key, reason="the table left", caller=Staff("staff:sari"))

    with pytest.raises(OrderNotPayable):
        await kasir.start(order)

    assert kasir.payments_of(order.key) == []


async def test_an_attempt_still_creating_within_the_grace_period_is_in_progress(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    kasir.forget_history()
    before = kasir.snapshot()
    kasir.clock.advance(GRACE - timedelta(seconds=1))

    with pytest.raises(PaymentInProgress) as caught:
        await kasir.start(order)

    assert caught.value.retry_after == 5
    assert kasir.snapshot() == before
    assert kasir.gateway.create_requests == []
    assert kasir.gateway.status_checks == []


async def test_a_gateway_refusal_fails_the_attempt_and_is_raised(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway.fail_next_create(GatewayRejected("refused", detail="QRIS channel is off"))

    with pytest.raises(GatewayRejected):
        await kasir.start(order)

    attempt = kasir.payment("KSR-TEST-0001")
    assert attempt.status is PaymentStatus.FAILED
    assert attempt.status_reason == "gateway refused: QRIS channel is off"
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT
    assert kasir.events.published == [
        PaymentRequested("KSR-TEST-0001", order.key, "qris", 55_000),
        PaymentFailed("KSR-TEST-0001", order.key, "gateway refused: QRIS channel is off"),
    ]


async def test_after_a_gateway_refusal_a_new_attempt_can_be_made(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway.fail_next_create(GatewayUnavailable("gateway down"))
    with pytest.raises(GatewayUnavailable):
        await kasir.start(order)

    started = await kasir.start(order)

    assert started.created
    assert started.payment.attempt_id == "KSR-TEST-0002"
    assert started.payment.status is PaymentStatus.PENDING
    assert kasir.payment("KSR-TEST-0001").status is PaymentStatus.FAILED
    assert [r.attempt_id for r in kasir.gateway.create_requests] == [
        "KSR-TEST-0001",
        "KSR-TEST-0002",
    ]


async def test_a_gateway_timeout_leaves_the_attempt_creating(kasir: Kasir, order: Order) -> None:
    kasir.gateway.time_out_next_create()

    with pytest.raises(GatewayTimeout):
        await kasir.start(order)

    attempt = kasir.payment("KSR-TEST-0001")
    assert attempt.status is PaymentStatus.CREATING
    assert (attempt.gateway_reference, attempt.qr_string) == (None, None)
    assert kasir.events.published == [PaymentRequested("KSR-TEST-0001", order.key, "qris", 55_000)]
    assert kasir.gateway.status_checks == []


class TakesTheRequestThenAnswersUnreadably(FakePaymentGateway):
    """Creates the transaction, then the answer is a 5xx page or unreadable: kasir cannot
    know that the transaction exists."""

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        await super().create_qris(request)
        raise GatewayOutcomeUnknown("Duitku failed: HTTP 502", detail="<html>Bad Gateway</html>")


async def test_an_unknown_create_outcome_leaves_the_attempt_creating_and_is_raised(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway.fail_next_create(GatewayOutcomeUnknown("Duitku failed: HTTP 500"))

    with pytest.raises(GatewayOutcomeUnknown):
        await kasir.start(order)

    attempt = kasir.payment("KSR-TEST-0001")
    assert attempt.status is PaymentStatus.CREATING
    assert attempt.status_reason is None
    assert kasir.events.published == [PaymentRequested("KSR-TEST-0001", order.key, "qris", 55_000)]
    assert kasir.gateway.status_checks == []


async def test_after_an_unknown_create_outcome_no_second_transaction_is_made_within_the_grace(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway = TakesTheRequestThenAnswersUnreadably()
    with pytest.raises(GatewayOutcomeUnknown):
        await kasir.start(order)
    kasir.clock.advance(GRACE - timedelta(seconds=1))

    with pytest.raises(PaymentInProgress):
        await kasir.start(order)

    assert [r.attempt_id for r in kasir.gateway.create_requests] == ["KSR-TEST-0001"]
    assert kasir.gateway.status_checks == []


async def test_a_transaction_taken_behind_an_unknown_create_outcome_and_paid_pays_the_order(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway = TakesTheRequestThenAnswersUnreadably()
    with pytest.raises(GatewayOutcomeUnknown):
        await kasir.start(order)
    kasir.gateway.pay("KSR-TEST-0001")  # the payer scanned the QR shown elsewhere
    kasir.clock.advance(PAST_GRACE)

    with pytest.raises(OrderNotPayable):
        await kasir.start(order)

    assert kasir.payment("KSR-TEST-0001").status is PaymentStatus.SUCCEEDED
    assert kasir.order(order.key).status is OrderStatus.PAID
    assert kasir.gateway.status_checks == ["KSR-TEST-0001"]
    assert [r.attempt_id for r in kasir.gateway.create_requests] == ["KSR-TEST-0001"]


async def _timed_out_attempt(kasir: Kasir, order: Order) -> str:
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    kasir.forget_history()
    kasir.clock.advance(PAST_GRACE)
    return "KSR-TEST-0001"


async def test_after_the_grace_period_an_attempt_unknown_to_the_gateway_fails_and_is_replaced(
    kasir: Kasir, order: Order
) -> None:
    lost = await _timed_out_attempt(kasir, order)
    del kasir.gateway.transactions[lost]  # the request never reached the gateway

    started = await kasir.start(order)

    assert kasir.gateway.status_checks == [lost]
    old = kasir.payment(lost)
    assert (old.status, old.status_reason) == (
        PaymentStatus.FAILED,
        "the gateway has no such transaction",
    )
    assert started.created
    assert (started.payment.attempt_id, started.payment.status) == (
        "KSR-TEST-0002",
        PaymentStatus.PENDING,
    )
    assert [r.attempt_id for r in kasir.gateway.create_requests] == ["KSR-TEST-0002"]
    assert kasir.events.published[0] == PaymentFailed(
        lost, order.key, "the gateway has no such transaction"
    )


async def test_after_the_grace_period_an_attempt_pending_at_the_gateway_is_abandoned_and_replaced(
    kasir: Kasir, order: Order
) -> None:
    lost = await _timed_out_attempt(kasir, order)

    started = await kasir.start(order)

    assert kasir.gateway.status_checks == [lost]
    old = kasir.payment(lost)
    assert (old.status, old.status_reason) == (PaymentStatus.CANCELLED, ABANDONED_REASON)
    assert started.created
    assert started.payment.attempt_id == "KSR-TEST-0002"
    assert kasir.events.published == [
        PaymentCancelled(lost, order.key, ABANDONED_REASON),
        PaymentRequested("KSR-TEST-0002", order.key, "qris", 55_000),
        PaymentIssued("KSR-TEST-0002", order.key, "FAKE01R00000002"),
    ]


async def test_after_the_grace_period_an_attempt_paid_at_the_gateway_pays_the_order(
    kasir: Kasir, order: Order
) -> None:
    lost = await _timed_out_attempt(kasir, order)
    kasir.gateway.pay(lost)

    with pytest.raises(OrderNotPayable):
        await kasir.start(order)

    paid = kasir.payment(lost)
    assert paid.status is PaymentStatus.SUCCEEDED
    assert paid.gateway_reference == "FAKE01R00000001"  # learnt from the status check
    assert (kasir.order(order.key).status, kasir.order(order.key).paid_by_attempt) == (
        OrderStatus.PAID,
        lost,
    )
    assert kasir.gateway.create_requests == []
    assert kasir.gateway.status_checks == [lost]
    assert kasir.events.published == [
        PaymentSucceeded(lost, order.key, "qris", 55_000, "creating"),
        OrderPaid(order.key, lost),
    ]


async def test_after_the_grace_period_a_failing_status_check_changes_nothing(
    kasir: Kasir, order: Order
) -> None:
    await _timed_out_attempt(kasir, order)
    before = kasir.snapshot()
    kasir.gateway.fail_next_status(GatewayUnavailable("status endpoint down"))

    with pytest.raises(GatewayUnavailable):
        await kasir.start(order)

    assert kasir.snapshot() == before
    assert kasir.gateway.create_requests == []
    assert kasir.events.published == []


async def test_an_overdue_attempt_the_gateway_reports_failed_expires_and_is_replaced(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    kasir.clock.advance(timedelta(minutes=10))

    started = await kasir.start(order)

    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.EXPIRED
    assert started.created
    assert started.payment.attempt_id == "KSR-TEST-0002"


async def test_an_overdue_attempt_the_gateway_still_offers_is_handed_out_again(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.clock.advance(timedelta(minutes=11))

    started = await kasir.start(order)

    assert not started.created
    assert started.payment == attempt
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.gateway.create_requests == []


async def test_an_answer_arriving_after_the_attempt_was_settled_does_not_reopen_it(
    kasir: Kasir, order: Order
) -> None:
    class PaidWhileCreating(FakePaymentGateway):
        """The customer pays and the notification is handled before create returns."""

        async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
            charge = await super().create_qris(request)
            self.pay(request.attempt_id)
            await kasir.handle_notification.execute(self.notification_for(request.attempt_id))
            return charge

    kasir.gateway = gateways.verified_fake(PaidWhileCreating)

    started = await kasir.start(order)

    assert started.created
    assert started.payment.status is PaymentStatus.SUCCEEDED
    assert kasir.payment("KSR-TEST-0001").qr_string is None
    assert kasir.order(order.key).paid_by_attempt == "KSR-TEST-0001"
    assert len(kasir.published(PaymentSucceeded)) == 1
    assert kasir.published(PaymentIssued) == []
