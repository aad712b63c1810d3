"""The cashier takes cash; staff cancel an unpaid order. Both close the open QRIS attempt in
the same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import NotFound
from domain.errors import InsufficientCash, InvalidAmount, InvalidTransition, OrderNotPayable
from domain.events import (
    OrderCancelled,
    OrderPaid,
    PaymentCancelled,
    PaymentRequested,
    PaymentSucceeded,
)
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentMethod, PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir


async def test_cash_pays_the_order_and_records_the_change_due(kasir: Kasir, order: Order) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=100_000, caller=Staff("staff:sari"))

    assert cash == kasir.payment("KSR-TEST-0001")
    assert (cash.method, cash.status, cash.amount) == (
        PaymentMethod.CASH,
        PaymentStatus.SUCCEEDED,
        55_000,
    )
    assert (cash.cash_tendered, cash.change_due, cash.taken_by) == (100_000, 45_000, "staff:sari")
    stored = kasir.order(order.key)
    assert (stored.status, stored.paid_by_attempt, stored.paid_at) == (
        OrderStatus.PAID,
        cash.attempt_id,
        kasir.clock.now(),
    )
    assert kasir.events.published == [
        PaymentRequested(cash.attempt_id, order.key, "cash", 55_000),
        PaymentSucceeded(cash.attempt_id, order.key, "cash", 55_000, "new"),
        OrderPaid(order.key, cash.attempt_id),
    ]
    assert kasir.gateway.create_requests == []
    assert kasir.gateway.status_checks == []


async def test_cash_cancels_the_open_qris_attempt_in_the_same_transaction(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    cancelled = kasir.payment(attempt.attempt_id)
    assert (cancelled.status, cancelled.status_reason) == (
        PaymentStatus.CANCELLED,
        "paid in cash",
    )
    assert [(c.orders, c.payments) for c in kasir.business_commits()] == [
        (frozenset({order.key}), frozenset({attempt.attempt_id, cash.attempt_id}))
    ]
    assert kasir.events.published == [
        PaymentCancelled(attempt.attempt_id, order.key, "paid in cash"),
        PaymentRequested(cash.attempt_id, order.key, "cash", 55_000),
        PaymentSucceeded(cash.attempt_id, order.key, "cash", 55_000, "new"),
        OrderPaid(order.key, cash.attempt_id),
    ]
    assert kasir.gateway.status_checks == [attempt.attempt_id]  # asked once: was it just paid?


@pytest.mark.parametrize(("tendered", "error"), [(54_999, InsufficientCash), (-1, InvalidAmount)])
async def test_refused_cash_writes_nothing(
    kasir: Kasir, order: Order, attempt: Payment, tendered: int, error: type[Exception]
) -> None:
    before = kasir.snapshot()

    with pytest.raises(error):
        await kasir.pay_cash.execute(order.key, tendered=tendered, caller=Staff("staff:sari"))

    assert kasir.snapshot() == before
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.PENDING
    assert kasir.business_commits() == []
    assert kasir.events.published == []


async def test_an_order_paid_in_cash_cannot_be_paid_again(kasir: Kasir, order: Order) -> None:
    await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    kasir.forget_history()
    before = kasir.snapshot()

    with pytest.raises(OrderNotPayable):
        await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:budi"))

    assert kasir.snapshot() == before
    assert kasir.events.published == []


async def test_an_order_paid_by_qris_takes_no_cash(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))

    with pytest.raises(OrderNotPayable):
        await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    assert [p.method for p in kasir.payments_of(order.key)] == [PaymentMethod.QRIS]


async def test_cash_for_an_unknown_order_is_not_found(kasir: Kasir, order: Order) -> None:
    with pytest.raises(NotFound):
        await kasir.pay_cash.execute(99, tendered=55_000, caller=Staff("staff:sari"))
    assert kasir.store.payments == {}


async def test_staff_cancel_an_unpaid_order(kasir: Kasir, order: Order) -> None:
    cancelled = await kasir.cancel_order.execute(
        order.key, reason="the table left", caller=Staff("staff:sari")
    )

    assert cancelled == kasir.order(order.key)
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancelled_at) == (
        OrderStatus.CANCELLED,
        "staff:sari",
        kasir.clock.now(),
    )
    assert kasir.events.published == [OrderCancelled(order.key, "staff:sari")]


async def test_cancelling_an_order_cancels_its_open_qris_attempt_in_the_same_transaction(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await kasir.cancel_order.execute(order.key, reason="the table left", caller=Staff("staff:sari"))

    closed = kasir.payment(attempt.attempt_id)
    assert (closed.status, closed.status_reason) == (PaymentStatus.CANCELLED, "order cancelled")
    assert [(c.orders, c.payments) for c in kasir.business_commits()] == [
        (frozenset({order.key}), frozenset({attempt.attempt_id}))
    ]
    assert kasir.events.published == [
        OrderCancelled(order.key, "staff:sari"),
        PaymentCancelled(attempt.attempt_id, order.key, "order cancelled"),
    ]


@pytest.mark.parametrize("first", ["cash", "cancel"])
async def test_a_paid_or_cancelled_order_cannot_be_cancelled(
    kasir: Kasir, order: Order, first: str
) -> None:
    if first == "cash":
        await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    else:
        await kasir.cancel_order.execute(
            order.key, reason="the table left", caller=Staff("staff:sari")
        )
    kasir.forget_history()
    before = kasir.snapshot()

    with pytest.raises(InvalidTransition):
        await kasir.cancel_order.execute(
            order.key, reason="the table left", caller=Staff("staff:budi")
        )

    assert kasir.snapshot() == before
    assert kasir.events.published == []


async def test_cancelling_an_unknown_order_is_not_found(kasir: Kasir) -> None:
    with pytest.raises(NotFound):
        await kasir.cancel_order.execute(99, reason="the table left", caller=Staff("staff:sari"))


async def test_a_cancelled_order_takes_no_cash(kasir: Kasir, order: Order) -> None:
    await kasir.cancel_order.execute(order.key, reason="the table left", caller=Staff("staff:sari"))

    with pytest.raises(OrderNotPayable):
        await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))

    assert kasir.payments_of(order.key) == []
