"""Properties over any sequence of transition attempts: terminal states are sticky except for
confirmed money, nothing succeeds twice, and an order is never paid twice."""

import contextlib
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.events import OrderPaid, PaymentSucceeded
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import TERMINAL_STATUSES, Payment, PaymentStatus
from domain.settlement import apply_gateway_success, take_cash
from domain.shifts import Shift

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TOTAL = 55_000

PaymentAction = Callable[[Payment, datetime], object]

PAYMENT_ACTIONS: dict[str, PaymentAction] = {
    "issue": lambda p, now: p.mark_issued(
        gateway_reference="REF",
        qr_string="QR",
        payment_url="https://pay.test",
        expires_at=now + timedelta(minutes=10),
        now=now,
    ),
    "fail": lambda p, now: p.fail(reason="failed", now=now),
    "expire": lambda p, now: p.expire(now=now),
    "cancel": lambda p, now: p.cancel(reason="cancelled", now=now),
    "succeed": lambda p, now: p.confirm_success(amount=TOTAL, now=now),
    "succeed_with_another_amount": lambda p, now: p.confirm_success(amount=TOTAL + 1, now=now),
    "require_refund": lambda p, now: p.require_refund(reason="refund", now=now),
    "resolve_refund": lambda p, now: p.resolve_refund(by="staff", note="done", now=now),
}


def open_shift() -> Shift:
    """An open drawer to take the cash into."""
    shift = Shift.open(staff_id="token:staff", staff_name="staff", opening_float=0, now=NOW)
    shift.assign_id(1)
    return shift


def _order() -> Order:
    order = Order.place(
        items=[
            (MenuItem(id=1, name="Nasi goreng", price=25_000), 2),
            (MenuItem(id=2, name="Es teh manis", price=5_000), 1),
        ],
        access_token_hash="hash",
        now=NOW,
    )
    order.assign_id(7)
    return order


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(PAYMENT_ACTIONS)), max_size=25))
def test_a_payment_leaves_a_terminal_state_only_to_succeed_and_never_succeeds_twice(
    actions: list[str],
) -> None:
    payment = Payment.start_qris(order=_order(), attempt_id="KSR-P", now=NOW)

    for step, name in enumerate(actions, start=1):
        now = NOW + timedelta(seconds=step)
        before = dataclasses.replace(payment)
        events_before = len(payment.events)
        try:
            PAYMENT_ACTIONS[name](payment, now)
        except DomainError:
            assert payment == before, f"{name} raised but changed the payment"
            assert len(payment.events) == events_before
            continue
        if before.status in TERMINAL_STATUSES:
            assert payment.status in (before.status, PaymentStatus.SUCCEEDED), name
        if before.status is PaymentStatus.SUCCEEDED:
            assert payment.status is PaymentStatus.SUCCEEDED
            assert payment.paid_at == before.paid_at

    successes = [e for e in payment.events if isinstance(e, PaymentSucceeded)]
    assert len(successes) == (1 if payment.status is PaymentStatus.SUCCEEDED else 0)


ORDER_ACTIONS = st.one_of(
    st.tuples(
        st.sampled_from(["success", "fail", "expire", "cancel", "issue"]),
        st.integers(min_value=0, max_value=3),
    ),
    st.tuples(st.sampled_from(["new_attempt", "cash", "cancel_order"]), st.just(0)),
)


def _act(order: Order, payments: list[Payment], name: str, index: int, step: int) -> None:
    """Try one thing that can happen to an order and its attempts; rules may refuse it."""
    now = NOW + timedelta(seconds=step)
    open_qris = next((p for p in payments if p.is_open), None)
    target = payments[index % len(payments)] if payments else None
    if name == "new_attempt":
        if open_qris is None:  # the repository allows one open attempt per order
            payments.append(Payment.start_qris(order=order, attempt_id=f"KSR-{step}", now=now))
    elif name == "cash":
        payments.append(
            take_cash(
                order=order,
                open_qris=open_qris,
                attempt_id=f"KSR-{step}",
                tendered=TOTAL,
                taken_by="staff",
                shift=open_shift(),
                now=now,
            )
        )
    elif name == "cancel_order":
        order.cancel(by="staff", now=now)
        if open_qris is not None:
            open_qris.cancel(reason="order cancelled", now=now)
    elif target is None:
        return
    elif name == "success":
        if target.method.value == "qris":
            apply_gateway_success(order=order, payment=target, amount=TOTAL, now=now)
    else:
        PAYMENT_ACTIONS[name](target, now)


@settings(max_examples=300, deadline=None)
@given(st.lists(ORDER_ACTIONS, max_size=25))
def test_an_order_is_paid_at_most_once_and_every_other_success_is_flagged_for_refund(
    actions: list[tuple[str, int]],
) -> None:
    order = _order()
    payments: list[Payment] = []

    for step, (name, index) in enumerate(actions, start=1):
        with contextlib.suppress(DomainError):
            _act(order, payments, name, index, step)

        kept = [p for p in payments if p.status is PaymentStatus.SUCCEEDED and not p.refund_open]
        assert len([e for e in order.events if isinstance(e, OrderPaid)]) <= 1
        if order.status is OrderStatus.PAID:
            assert [p.attempt_id for p in kept] == [order.paid_by_attempt]
        else:
            assert kept == []
        for payment in payments:
            if (
                payment.status is PaymentStatus.SUCCEEDED
                and payment.attempt_id != order.paid_by_attempt
            ):
                assert payment.refund_open
