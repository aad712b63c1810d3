"""Refunds never give back more than was paid, and go requested → approved or rejected."""

from datetime import UTC, datetime

import pytest

from domain.errors import (
    InvalidAmount,
    InvalidRefund,
    InvalidTransition,
    OrderNotRefundable,
    ReasonRequired,
    RefundExceedsPaid,
    RefundReferenceRequired,
)
from domain.events import RefundApproved, RefundMade, RefundRejected, RefundRequested
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment, PaymentMethod, PaymentStatus
from domain.refunds import Refund, RefundLine, RefundStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def paid_order(method: str = "cash") -> tuple[Order, Payment]:
    """2 x nasi goreng (25 000) + 1 x es teh (5 000) = 55 000, paid."""
    nasi = MenuItem(id=1, name="Nasi goreng", price=25_000)
    teh = MenuItem(id=2, name="Es teh", price=5_000)
    order = Order.place(items=[(nasi, 2), (teh, 1)], access_token_hash="h", now=NOW)
    order.assign_id(9)
    if method == "cash":
        payment = Payment.take_cash(
            order=order, attempt_id="KSR-C", tendered=55_000, taken_by="Sari", shift_id=1, now=NOW
        )
    else:
        payment = Payment.start_qris(order=order, attempt_id="KSR-Q", now=NOW)
        payment.confirm_success(amount=55_000, now=NOW)
    order.mark_paid(attempt_id=payment.attempt_id, now=NOW)
    return order, payment


def request(
    order: Order,
    payment: Payment,
    *,
    amount: int | None = None,
    lines: list[RefundLine] | None = None,
    earlier: list[Refund] | None = None,
    reason: str = "cold soup",
) -> Refund:
    refund = Refund.request(
        order=order,
        paid_by=payment,
        earlier=earlier or [],
        amount=amount,
        lines=lines,
        reason=reason,
        requested_by="account:2",
        requested_by_name="Budi",
        now=NOW,
    )
    refund.assign_id(len(earlier or []) + 1)
    return refund


def test_a_refund_by_lines_gives_back_their_price() -> None:
    order, payment = paid_order()

    refund = request(order, payment, lines=[RefundLine(1, 1), RefundLine(2, 1)])

    assert (refund.amount, refund.status, order.refund_reserved) == (
        30_000,
        RefundStatus.REQUESTED,
        30_000,
    )
    assert refund.events == [RefundRequested(1, 9, 30_000, "cash", "account:2")]


def test_a_refund_never_exceeds_what_was_paid_less_earlier_refunds() -> None:
    order, payment = paid_order()
    first = request(order, payment, amount=50_000)

    with pytest.raises(RefundExceedsPaid):
        request(order, payment, amount=5_001, earlier=[first])

    assert order.refund_reserved == 50_000
    assert request(order, payment, amount=5_000, earlier=[first]).amount == 5_000
    assert order.refundable == 0


def test_a_rejected_refund_no_longer_counts_against_the_order() -> None:
    order, payment = paid_order()
    first = request(order, payment, amount=55_000)
    first.reject(by="account:1", by_name="Ana", note="not owed", now=NOW)
    order.release_refund(first.amount)

    again = request(order, payment, amount=55_000, earlier=[first])

    assert (again.amount, order.refund_reserved) == (55_000, 55_000)
    assert first.events[-1] == RefundRejected(1, 9, 55_000, "account:1")


def test_units_of_a_line_are_refunded_once() -> None:
    order, payment = paid_order()
    first = request(order, payment, lines=[RefundLine(1, 2)])

    with pytest.raises(RefundExceedsPaid, match="line 1 has 0 units left"):
        request(order, payment, lines=[RefundLine(1, 1)], earlier=[first])


@pytest.mark.parametrize(
    ("amount", "lines", "error"),
    [
        (None, None, InvalidRefund),
        (1_000, [RefundLine(1, 1)], InvalidRefund),
        (0, None, InvalidRefund),
        (-1, None, InvalidAmount),
        (None, [], InvalidRefund),
        (None, [RefundLine(3, 1)], InvalidRefund),
        (None, [RefundLine(1, 3)], RefundExceedsPaid),
        (55_001, None, RefundExceedsPaid),
    ],
    ids=["neither", "both", "zero", "negative", "no lines", "unknown line", "too many", "above"],
)
def test_a_malformed_or_excessive_refund_is_refused_and_reserves_nothing(
    amount: int | None, lines: list[RefundLine] | None, error: type[Exception]
) -> None:
    order, payment = paid_order()

    with pytest.raises(error):
        request(order, payment, amount=amount, lines=lines)

    assert order.refund_reserved == 0


def test_a_refund_needs_a_reason() -> None:
    order, payment = paid_order()

    with pytest.raises(ReasonRequired):
        request(order, payment, amount=1_000, reason=" ")


def test_only_a_paid_order_is_refunded() -> None:
    _, payment = paid_order()
    unpaid = Order.place(
        items=[(MenuItem(id=1, name="Nasi", price=1_000), 1)], access_token_hash="h", now=NOW
    )
    unpaid.assign_id(10)

    with pytest.raises(OrderNotRefundable):
        request(unpaid, payment, amount=1_000)


def test_an_approved_cash_refund_names_the_drawer_it_came_out_of() -> None:
    order, payment = paid_order()
    refund = request(order, payment, amount=10_000)
    refund.events.clear()

    refund.approve(by="account:1", by_name="Ana", now=NOW, shift_id=4)

    assert (refund.status, refund.shift_id, refund.reference) == (RefundStatus.APPROVED, 4, None)
    assert refund.events == [
        RefundApproved(1, 9, 10_000, "account:1"),
        RefundMade(1, 9, 10_000, "cash", 4, None),
    ]


def test_a_qris_refund_is_approved_with_the_reference_of_the_transfer_made_by_hand() -> None:
    order, payment = paid_order("qris")
    refund = request(order, payment, amount=10_000)

    with pytest.raises(RefundReferenceRequired):
        refund.approve(by="account:1", by_name="Ana", now=NOW, reference="  ")
    assert refund.status is RefundStatus.REQUESTED

    refund.approve(by="account:1", by_name="Ana", now=NOW, reference="BCA-TRF-0042")
    assert (refund.status, refund.reference, refund.shift_id) == (
        RefundStatus.APPROVED,
        "BCA-TRF-0042",
        None,
    )


@pytest.mark.parametrize("decided", ["approved", "rejected"])
def test_a_decided_refund_is_never_decided_again(decided: str) -> None:
    order, payment = paid_order()
    refund = request(order, payment, amount=10_000)
    if decided == "approved":
        refund.approve(by="account:1", by_name="Ana", now=NOW, shift_id=4)
    else:
        refund.reject(by="account:1", by_name="Ana", note=None, now=NOW)

    with pytest.raises(InvalidTransition):
        refund.approve(by="account:1", by_name="Ana", now=NOW, shift_id=4)
    with pytest.raises(InvalidTransition):
        refund.reject(by="account:1", by_name="Ana", note=None, now=NOW)


def test_money_kasir_flagged_becomes_a_request_of_the_system_for_what_was_received() -> None:
    late = Payment(
        attempt_id="KSR-LATE",
        order_id=9,
        method=PaymentMethod.QRIS,
        amount=55_000,
        status=PaymentStatus.SUCCEEDED,
        created_at=NOW,
        updated_at=NOW,
    )
    late.require_refund(reason="order 9 was already paid", now=NOW)

    refund = Refund.flagged_by_kasir(payment=late, now=NOW)

    assert (refund.flagged, refund.amount, refund.requested_by, refund.counts_against_order) == (
        True,
        55_000,
        "system:kasir",
        False,
    )
