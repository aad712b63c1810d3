"""Rules across an order and its payments: a confirmed success pays once or is refunded."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import AmountMismatch, InsufficientCash, InvalidTransition, OrderNotPayable
from domain.events import (
    OrderPaid,
    PaymentCancelled,
    PaymentRequested,
    PaymentSucceeded,
    RefundRequired,
)
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus
from domain.settlement import SettlementOutcome, apply_gateway_success, take_cash
from domain.shifts import Shift

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=20)
TOTAL = 55_000


def open_shift() -> Shift:
    """An open drawer to take the cash into."""
    shift = Shift.open(staff_id="token:staff", staff_name="staff", opening_float=0, now=NOW)
    shift.assign_id(1)
    return shift


def _order(order_id: int = 7) -> Order:
    order = Order.place(
        items=[
            (MenuItem(id=1, name="Nasi goreng", price=25_000), 2),
            (MenuItem(id=2, name="Es teh manis", price=5_000), 1),
        ],
        access_token_hash="hash",
        now=NOW,
    )
    order.assign_id(order_id)
    order.events.clear()
    return order


def _pending(order: Order, attempt_id: str = "KSR-Q") -> Payment:
    payment = Payment.start_qris(order=order, attempt_id=attempt_id, now=NOW)
    payment.mark_issued(
        gateway_reference=f"REF-{attempt_id}",
        qr_string="000201QR",
        payment_url="https://pay.test",
        expires_at=NOW + timedelta(minutes=10),
        now=NOW,
    )
    payment.events.clear()
    return payment


def _cash(
    order: Order,
    *,
    tendered: int = 60_000,
    open_qris: Payment | None = None,
    now: datetime = NOW,
) -> Payment:
    payment = take_cash(
        order=order,
        open_qris=open_qris,
        attempt_id="KSR-C",
        tendered=tendered,
        taken_by="staff:sari",
        shift=open_shift(),
        now=now,
    )
    return payment


def _forget(*aggregates: Order | Payment) -> None:
    for aggregate in aggregates:
        aggregate.events.clear()


def test_a_confirmed_success_pays_the_order_that_awaits_payment() -> None:
    order = _order()
    payment = _pending(order)

    outcome = apply_gateway_success(order=order, payment=payment, amount=TOTAL, now=LATER)

    assert outcome is SettlementOutcome.ORDER_PAID
    assert payment.status is PaymentStatus.SUCCEEDED
    assert order.status is OrderStatus.PAID
    assert (order.paid_by_attempt, order.paid_at) == ("KSR-Q", LATER)
    assert payment.refund_required_at is None
    assert payment.events == [PaymentSucceeded("KSR-Q", 7, "qris", TOTAL, "pending")]
    assert order.events == [OrderPaid(7, "KSR-Q")]


def test_a_late_success_on_an_expired_attempt_of_an_unpaid_order_pays_the_order() -> None:
    order = _order()
    payment = _pending(order)
    payment.expire(now=NOW + timedelta(minutes=11))
    payment.events.clear()

    outcome = apply_gateway_success(order=order, payment=payment, amount=TOTAL, now=LATER)

    assert outcome is SettlementOutcome.ORDER_PAID
    assert (payment.status, order.status, order.paid_by_attempt) == (
        PaymentStatus.SUCCEEDED,
        OrderStatus.PAID,
        "KSR-Q",
    )
    assert payment.events == [PaymentSucceeded("KSR-Q", 7, "qris", TOTAL, "expired")]
    assert order.events == [OrderPaid(7, "KSR-Q")]


def test_a_success_after_the_order_was_paid_in_cash_requires_a_refund() -> None:
    order = _order()
    qris = _pending(order)
    _cash(order, open_qris=qris)
    _forget(order, qris)

    outcome = apply_gateway_success(order=order, payment=qris, amount=TOTAL, now=LATER)

    assert outcome is SettlementOutcome.REFUND_REQUIRED
    assert (order.status, order.paid_by_attempt) == (OrderStatus.PAID, "KSR-C")
    assert qris.status is PaymentStatus.SUCCEEDED
    assert qris.refund_open
    assert (qris.refund_required_at, qris.refund_reason) == (LATER, "order 7 was already paid")
    assert qris.events == [
        PaymentSucceeded("KSR-Q", 7, "qris", TOTAL, "cancelled"),
        RefundRequired("KSR-Q", 7, TOTAL, "order 7 was already paid"),
    ]
    assert order.events == []


def test_a_success_on_a_cancelled_order_requires_a_refund() -> None:
    order = _order()
    qris = _pending(order)
    order.cancel(by="staff:sari", now=NOW)
    qris.cancel(reason="order cancelled", now=NOW)
    _forget(order, qris)

    outcome = apply_gateway_success(order=order, payment=qris, amount=TOTAL, now=LATER)

    assert outcome is SettlementOutcome.REFUND_REQUIRED
    assert order.status is OrderStatus.CANCELLED
    assert qris.refund_reason == "order 7 was already cancelled"
    assert qris.events == [
        PaymentSucceeded("KSR-Q", 7, "qris", TOTAL, "cancelled"),
        RefundRequired("KSR-Q", 7, TOTAL, "order 7 was already cancelled"),
    ]
    assert order.events == []


def test_a_duplicate_success_is_already_applied_and_changes_nothing() -> None:
    order = _order()
    payment = _pending(order)
    apply_gateway_success(order=order, payment=payment, amount=TOTAL, now=NOW)
    _forget(order, payment)
    order_before, payment_before = dataclasses.replace(order), dataclasses.replace(payment)

    outcome = apply_gateway_success(order=order, payment=payment, amount=TOTAL, now=LATER)

    assert outcome is SettlementOutcome.ALREADY_APPLIED
    assert (order, payment) == (order_before, payment_before)
    assert order.events == payment.events == []


def test_a_success_of_another_amount_changes_nothing() -> None:
    order = _order()
    payment = _pending(order)

    with pytest.raises(AmountMismatch):
        apply_gateway_success(order=order, payment=payment, amount=TOTAL - 1, now=LATER)

    assert (payment.status, order.status) == (PaymentStatus.PENDING, OrderStatus.AWAITING_PAYMENT)


def test_a_success_is_never_applied_to_another_order() -> None:
    payment = _pending(_order(7))
    other = _order(8)

    with pytest.raises(InvalidTransition, match=r"^payment belongs to another order$"):
        apply_gateway_success(order=other, payment=payment, amount=TOTAL, now=LATER)

    assert (payment.status, other.status) == (PaymentStatus.PENDING, OrderStatus.AWAITING_PAYMENT)


def test_cash_pays_the_order_and_cancels_its_open_qris_attempt() -> None:
    order = _order()
    qris = _pending(order)

    cash = _cash(order, tendered=100_000, open_qris=qris, now=LATER)

    assert (cash.status, cash.change_due) == (PaymentStatus.SUCCEEDED, 45_000)
    assert (cash.created_at, cash.updated_at, cash.paid_at) == (LATER, LATER, LATER)
    assert (order.status, order.paid_by_attempt, order.paid_at) == (
        OrderStatus.PAID,
        "KSR-C",
        LATER,
    )
    assert (qris.status, qris.status_reason) == (PaymentStatus.CANCELLED, "paid in cash")
    assert qris.updated_at == LATER  # when it was closed, not when its QR was issued
    assert qris.events == [PaymentCancelled("KSR-Q", 7, "paid in cash")]
    assert cash.events == [
        PaymentRequested("KSR-C", 7, "cash", TOTAL),
        PaymentSucceeded("KSR-C", 7, "cash", TOTAL, "new"),
    ]
    assert order.events == [OrderPaid(7, "KSR-C")]


def test_cash_leaves_an_already_closed_qris_attempt_as_it_is() -> None:
    order = _order()
    qris = _pending(order)
    qris.fail(reason="declined", now=NOW)
    qris.events.clear()

    _cash(order, open_qris=qris)

    assert (qris.status, qris.status_reason) == (PaymentStatus.FAILED, "declined")
    assert qris.events == []


def test_insufficient_cash_changes_neither_the_order_nor_its_qris_attempt() -> None:
    order = _order()
    qris = _pending(order)

    with pytest.raises(InsufficientCash):
        _cash(order, tendered=TOTAL - 1, open_qris=qris)

    assert (order.status, qris.status) == (OrderStatus.AWAITING_PAYMENT, PaymentStatus.PENDING)
    assert order.events == qris.events == []


def test_an_order_is_never_paid_twice_in_cash() -> None:
    order = _order()
    _cash(order)
    _forget(order)

    with pytest.raises(OrderNotPayable):
        _cash(order)

    assert order.paid_by_attempt == "KSR-C"
    assert order.events == []
