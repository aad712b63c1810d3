"""Before the cashier takes cash for an order with an open QRIS attempt, the gateway is asked
once whether that QR was just paid: if it was, the order is paid by QRIS and the cash refused
(409 order_paid), so the customer does not pay twice; without an answer the cash is taken and
the attempt stays watched (a late success becomes a refund)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import GatewayUnavailable, OrderPaid
from application.use_cases.pay_cash import CASH_STATUS_CHECK_TIMEOUT
from domain.events import OrderPaid as OrderPaidEvent
from domain.events import PaymentSucceeded
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentMethod, PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir


async def test_a_qr_paid_just_before_the_cash_pays_the_order_and_the_cash_is_refused(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)  # paid; its callback has not arrived yet

    with pytest.raises(OrderPaid):
        await kasir.pay_cash.execute(order.key, tendered=100_000, caller=Staff("staff:sari"))

    assert kasir.gateway.status_checks == [attempt.attempt_id]
    paid = kasir.order(order.key)
    assert (paid.status, paid.paid_by_attempt) == (OrderStatus.PAID, attempt.attempt_id)
    assert [p.method for p in kasir.payments_of(order.key)] == [PaymentMethod.QRIS]
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.SUCCEEDED
    assert kasir.published(PaymentSucceeded) == [
        PaymentSucceeded(attempt.attempt_id, order.key, "qris", 55_000, "pending")
    ]
    assert kasir.published(OrderPaidEvent) == [OrderPaidEvent(order.key, attempt.attempt_id)]


async def test_a_gateway_that_does_not_answer_in_time_does_not_stop_the_cash(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.hang_next_status()
    cash_desk = kasir.pay_cash
    quick = type(cash_desk)(
        cash_desk.uow,
        cash_desk.clock,
        cash_desk.references,
        cash_desk.gateways,
        cash_desk.reconciler,
        status_check_timeout=timedelta(milliseconds=20),
    )
    started = time.perf_counter()

    cash = await quick.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    assert time.perf_counter() - started < 1
    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.CANCELLED
    # The QR is paid after all: the late success becomes a refund to make, never dropped.
    kasir.gateway.pay(attempt.attempt_id)
    kasir.clock.advance(timedelta(minutes=1))
    await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))
    late = kasir.payment(attempt.attempt_id)
    assert (late.status, late.refund_open) == (PaymentStatus.SUCCEEDED, True)


async def test_a_gateway_error_is_no_answer_and_is_not_retried(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail_next_status(GatewayUnavailable("down"))

    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id


async def test_a_spent_status_check_budget_counts_as_no_answer(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await kasir.reconciler.reconcile(attempt.attempt_id)  # a callback's check, moments ago
    kasir.gateway.pay(attempt.attempt_id)
    kasir.forget_history()

    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    assert kasir.gateway.status_checks == []
    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.CANCELLED


async def test_a_qr_still_pending_at_the_gateway_lets_the_cash_be_taken(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert kasir.order(order.key).paid_by_attempt == cash.attempt_id


async def test_cash_that_would_be_refused_anyway_asks_the_gateway_nothing(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    with pytest.raises(Exception, match="less than the total"):
        await kasir.pay_cash.execute(order.key, tendered=1_000, caller=Staff("staff:sari"))

    assert kasir.gateway.status_checks == []
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.PENDING


def test_the_cashier_waits_at_most_three_seconds_for_the_gateway() -> None:
    assert timedelta(seconds=3) == CASH_STATUS_CHECK_TIMEOUT
