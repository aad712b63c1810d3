"""Payments: one attempt to pay one order, its states and the events it records."""

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import (
    AmountMismatch,
    InsufficientCash,
    InvalidAmount,
    InvalidTransition,
    OrderNotPayable,
)
from domain.events import (
    PaymentAmountMismatch,
    PaymentCancelled,
    PaymentExpired,
    PaymentFailed,
    PaymentIssued,
    PaymentRequested,
    PaymentSucceeded,
    RefundRequired,
    RefundResolved,
)
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import (
    MAX_ATTEMPT_ID_LENGTH,
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    ClosedReason,
    Payment,
    PaymentMethod,
    PaymentStatus,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)
EXPIRES = NOW + timedelta(minutes=10)
TOTAL = 55_000


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
    order.events.clear()
    return order


def _creating(attempt_id: str = "KSR-1") -> Payment:
    payment = Payment.start_qris(order=_order(), attempt_id=attempt_id, now=NOW)
    payment.events.clear()
    return payment


def _issue(payment: Payment, now: datetime = NOW) -> None:
    payment.mark_issued(
        gateway_reference="REF-1",
        qr_string="000201QR",
        payment_url="https://pay.test/REF-1",
        expires_at=EXPIRES,
        now=now,
    )


def _pending() -> Payment:
    payment = _creating()
    _issue(payment)
    payment.events.clear()
    return payment


def _in(status: PaymentStatus) -> Payment:
    """A QRIS attempt brought to `status` by the domain's own transitions."""
    payment = _pending()
    if status is PaymentStatus.CREATING:
        payment = _creating()
    elif status is PaymentStatus.SUCCEEDED:
        payment.confirm_success(amount=TOTAL, now=NOW)
    elif status is PaymentStatus.FAILED:
        payment.fail(reason="declined", now=NOW)
    elif status is PaymentStatus.EXPIRED:
        payment.expire(now=NOW)
    elif status is PaymentStatus.CANCELLED:
        payment.cancel(reason="order cancelled", now=NOW)
    payment.events.clear()
    assert payment.status is status
    return payment


def test_a_qris_attempt_is_for_the_order_total_and_starts_creating() -> None:
    payment = Payment.start_qris(order=_order(), attempt_id="KSR-1", now=NOW)

    assert payment.amount == TOTAL
    assert (payment.order_id, payment.method, payment.status) == (
        7,
        PaymentMethod.QRIS,
        PaymentStatus.CREATING,
    )
    assert (payment.created_at, payment.updated_at, payment.paid_at) == (NOW, NOW, None)
    assert payment.is_open
    assert payment.events == [PaymentRequested("KSR-1", 7, "qris", TOTAL)]


@pytest.mark.parametrize("close", ["mark_paid", "cancel"])
def test_a_paid_or_cancelled_order_takes_no_qris_attempt(close: str) -> None:
    order = _order()
    if close == "mark_paid":
        order.mark_paid(attempt_id="KSR-0", now=NOW)
    else:
        order.cancel(by="staff:sari", now=NOW)

    with pytest.raises(OrderNotPayable):
        Payment.start_qris(order=order, attempt_id="KSR-1", now=NOW)


@pytest.mark.parametrize("attempt_id", ["", "K" * (MAX_ATTEMPT_ID_LENGTH + 1)])
def test_the_merchant_order_id_has_1_to_50_characters(attempt_id: str) -> None:
    with pytest.raises(InvalidTransition, match="order_uid"):
        Payment.start_qris(order=_order(), attempt_id=attempt_id, now=NOW)
    assert Payment.start_qris(order=_order(), attempt_id="K" * 50, now=NOW).attempt_id == "K" * 50


def test_issuing_the_qr_moves_creating_to_pending_and_keeps_what_the_customer_needs() -> None:
    payment = _creating()

    _issue(payment, now=LATER)

    assert payment.status is PaymentStatus.PENDING
    assert (payment.gateway_reference, payment.qr_string, payment.payment_url) == (
        "REF-1",
        "000201QR",
        "https://pay.test/REF-1",
    )
    assert (payment.expires_at, payment.updated_at) == (EXPIRES, LATER)
    assert payment.events == [PaymentIssued("KSR-1", 7, "REF-1")]


def test_a_qr_is_issued_only_for_a_creating_attempt() -> None:
    payment = _pending()

    with pytest.raises(InvalidTransition):
        _issue(payment)
    assert payment.events == []


@pytest.mark.parametrize("start", [PaymentStatus.CREATING, PaymentStatus.PENDING])
def test_an_open_attempt_fails_with_its_reason(start: PaymentStatus) -> None:
    payment = _in(start)

    payment.fail(reason="the gateway refused", now=LATER)

    assert payment.status is PaymentStatus.FAILED
    assert (payment.status_reason, payment.updated_at) == ("the gateway refused", LATER)
    assert not payment.is_open
    assert payment.events == [PaymentFailed("KSR-1", 7, "the gateway refused")]


@pytest.mark.parametrize("start", [PaymentStatus.CREATING, PaymentStatus.PENDING])
def test_an_open_attempt_expires(start: PaymentStatus) -> None:
    payment = _in(start)

    payment.expire(now=LATER)

    assert payment.status is PaymentStatus.EXPIRED
    assert (payment.status_reason, payment.updated_at) == ("expired unpaid", LATER)
    assert payment.events == [PaymentExpired("KSR-1", 7)]


@pytest.mark.parametrize("start", [PaymentStatus.CREATING, PaymentStatus.PENDING])
def test_an_open_attempt_is_cancelled_with_its_reason(start: PaymentStatus) -> None:
    payment = _in(start)

    payment.cancel(reason="paid in cash", now=LATER)

    assert payment.status is PaymentStatus.CANCELLED
    assert (payment.status_reason, payment.updated_at) == ("paid in cash", LATER)
    assert payment.events == [PaymentCancelled("KSR-1", 7, "paid in cash")]


_REFUSED_ACTION = {
    "fail": "fail",
    "expire": "expire",
    "cancel": "cancel",
    "mark_issued": "issue a QR for",
}
_CLOSE: dict[str, Callable[[Payment], None]] = {
    "fail": lambda p: p.fail(reason="late failure", now=LATER),
    "expire": lambda p: p.expire(now=LATER),
    "cancel": lambda p: p.cancel(reason="late cancel", now=LATER),
    "mark_issued": lambda p: _issue(p, now=LATER),
}


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATUSES))
@pytest.mark.parametrize("action", sorted(_CLOSE))
def test_terminal_states_are_sticky(terminal: PaymentStatus, action: str) -> None:
    payment = _in(terminal)
    before = dataclasses.replace(payment)

    refused = rf"^cannot {_REFUSED_ACTION[action]} a {terminal.value} payment$"
    with pytest.raises(InvalidTransition, match=refused):
        _CLOSE[action](payment)

    assert payment == before
    assert payment.events == []


def test_open_and_terminal_states_split_every_status() -> None:
    open_statuses, terminal_statuses = OPEN_STATUSES, TERMINAL_STATUSES
    assert open_statuses == {PaymentStatus.CREATING, PaymentStatus.PENDING}
    assert open_statuses | terminal_statuses == set(PaymentStatus)
    assert not open_statuses & terminal_statuses


def test_a_confirmed_success_moves_a_pending_attempt_to_succeeded() -> None:
    payment = _pending()

    assert payment.confirm_success(amount=TOTAL, now=LATER, gateway_reference="REF-OTHER")

    assert payment.status is PaymentStatus.SUCCEEDED
    assert (payment.paid_at, payment.updated_at) == (LATER, LATER)
    assert payment.gateway_reference == "REF-1"  # the reference it was issued with stays
    assert payment.events == [PaymentSucceeded("KSR-1", 7, "qris", TOTAL, "pending")]


def test_a_confirmed_success_fills_in_a_missing_gateway_reference() -> None:
    payment = _creating()

    assert payment.confirm_success(amount=TOTAL, now=LATER, gateway_reference="REF-9")

    assert payment.gateway_reference == "REF-9"
    assert payment.events == [PaymentSucceeded("KSR-1", 7, "qris", TOTAL, "creating")]


@pytest.mark.parametrize(
    "closed", [PaymentStatus.EXPIRED, PaymentStatus.CANCELLED, PaymentStatus.FAILED]
)
def test_late_money_moves_a_closed_attempt_to_succeeded(closed: PaymentStatus) -> None:
    payment = _in(closed)

    assert payment.confirm_success(amount=TOTAL, now=LATER)

    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.paid_at == LATER
    assert payment.events == [PaymentSucceeded("KSR-1", 7, "qris", TOTAL, closed.value)]


def test_a_success_already_applied_returns_false_and_changes_nothing() -> None:
    payment = _in(PaymentStatus.SUCCEEDED)
    before = dataclasses.replace(payment)

    assert payment.confirm_success(amount=TOTAL, now=LATER) is False

    assert payment == before
    assert payment.paid_at == NOW
    assert payment.events == []


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.SUCCEEDED])
@pytest.mark.parametrize("amount", [TOTAL - 1, TOTAL + 1, 0])
def test_a_success_for_another_amount_is_refused(status: PaymentStatus, amount: int) -> None:
    payment = _in(status)
    before = dataclasses.replace(payment)

    with pytest.raises(AmountMismatch, match=rf"^gateway amount {amount} differs from attempt "):
        payment.confirm_success(amount=amount, now=LATER)

    assert payment == before
    assert payment.events == []


def test_cash_is_not_confirmed_by_a_gateway() -> None:
    payment = Payment.take_cash(
        order=_order(),
        attempt_id="KSR-C",
        tendered=TOTAL,
        taken_by="staff:sari",
        shift_id=1,
        now=NOW,
    )
    with pytest.raises(
        InvalidTransition, match=r"^only a gateway payment is confirmed by the gateway$"
    ):
        payment.confirm_success(amount=TOTAL, now=LATER)


def test_cash_records_what_was_tendered_and_the_change_due() -> None:
    payment = Payment.take_cash(
        order=_order(),
        attempt_id="KSR-C",
        tendered=60_000,
        taken_by="staff:sari",
        shift_id=1,
        now=NOW,
    )

    assert (payment.method, payment.status, payment.amount) == (
        PaymentMethod.CASH,
        PaymentStatus.SUCCEEDED,
        TOTAL,
    )
    assert (payment.cash_tendered, payment.change_due) == (60_000, 5_000)
    assert (payment.taken_by, payment.paid_at) == ("staff:sari", NOW)
    assert (payment.created_at, payment.updated_at) == (NOW, NOW)
    assert payment.events == [
        PaymentRequested("KSR-C", 7, "cash", TOTAL),
        PaymentSucceeded("KSR-C", 7, "cash", TOTAL, "new"),
    ]


def test_exact_cash_leaves_no_change() -> None:
    payment = Payment.take_cash(
        order=_order(),
        attempt_id="KSR-C",
        tendered=TOTAL,
        taken_by="staff:sari",
        shift_id=1,
        now=NOW,
    )
    assert payment.change_due == 0


def test_less_cash_than_the_total_is_rejected() -> None:
    with pytest.raises(InsufficientCash, match="less than the total"):
        Payment.take_cash(
            order=_order(),
            attempt_id="KSR-C",
            tendered=TOTAL - 1,
            taken_by="s",
            shift_id=1,
            now=NOW,
        )


@pytest.mark.parametrize("tendered", [-1, 60_000.0, True])
def test_cash_tendered_must_be_whole_rupiah(tendered: int) -> None:
    with pytest.raises(InvalidAmount, match=r"^amount tendered must be "):
        Payment.take_cash(
            order=_order(), attempt_id="KSR-C", tendered=tendered, taken_by="s", shift_id=1, now=NOW
        )


def test_an_attempt_is_overdue_only_when_pending_past_its_expiry() -> None:
    pending = _pending()
    assert not pending.is_overdue(EXPIRES - timedelta(seconds=1))
    assert pending.is_overdue(EXPIRES)
    assert not _creating().is_overdue(EXPIRES + timedelta(days=1))
    assert not _in(PaymentStatus.FAILED).is_overdue(EXPIRES + timedelta(days=1))


def test_a_success_that_cannot_pay_its_order_requires_a_refund_once() -> None:
    payment = _in(PaymentStatus.SUCCEEDED)

    payment.require_refund(reason="order 7 was already paid", now=LATER)
    payment.require_refund(reason="again", now=LATER + timedelta(minutes=1))

    assert payment.refund_open
    assert (payment.refund_required_at, payment.refund_reason, payment.updated_at) == (
        LATER,
        "order 7 was already paid",
        LATER,
    )
    assert payment.events == [RefundRequired("KSR-1", 7, TOTAL, "order 7 was already paid")]


@pytest.mark.parametrize("status", sorted(frozenset(PaymentStatus) - {PaymentStatus.SUCCEEDED}))
def test_only_a_succeeded_payment_can_require_a_refund(status: PaymentStatus) -> None:
    payment = _in(status)
    with pytest.raises(InvalidTransition, match=rf"^cannot refund a {status.value} payment$"):
        payment.require_refund(reason="no money arrived", now=LATER)
    assert payment.refund_required_at is None


def test_resolving_a_refund_records_who_when_and_why_and_cannot_be_done_twice() -> None:
    payment = _in(PaymentStatus.SUCCEEDED)
    payment.require_refund(reason="order 7 was already paid", now=LATER)
    payment.events.clear()
    resolved_at = LATER + timedelta(hours=1)

    payment.resolve_refund(by="staff:sari", note="returned in cash", now=resolved_at)

    assert not payment.refund_open
    assert (payment.refund_resolved_at, payment.refund_resolved_by, payment.refund_note) == (
        resolved_at,
        "staff:sari",
        "returned in cash",
    )
    assert payment.updated_at == resolved_at
    assert payment.events == [RefundResolved("KSR-1", 7, "staff:sari")]
    with pytest.raises(InvalidTransition, match="no open refund"):
        payment.resolve_refund(by="staff:budi", note="again", now=resolved_at + timedelta(hours=1))
    assert (payment.refund_resolved_by, payment.refund_note) == ("staff:sari", "returned in cash")
    assert len(payment.events) == 1


def test_a_payment_without_a_required_refund_cannot_have_one_resolved() -> None:
    payment = _in(PaymentStatus.SUCCEEDED)
    with pytest.raises(InvalidTransition):
        payment.resolve_refund(by="staff:sari", note="nothing to return", now=LATER)
    assert payment.refund_resolved_at is None


def test_only_an_open_attempt_with_an_issued_qr_shows_it() -> None:
    attempt = _creating()
    shown = [attempt.shows_qr]  # creating: no QR yet
    _issue(attempt)
    shown.append(attempt.shows_qr)
    attempt.cancel(reason="paid in cash", now=LATER)
    shown.append(attempt.shows_qr)
    assert shown == [False, True, False]
    assert attempt.qr_string is not None  # kept for the record, never shown again


AMOUNT_REASON = f"the gateway reports 1000 paid on an attempt of {TOTAL}"


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_another_amount_paid_closes_an_open_attempt_as_failed_with_a_refund_to_make(
    status: PaymentStatus,
) -> None:
    payment = _in(status)

    assert payment.close_amount_mismatch(amount_received=1_000, now=LATER)

    assert (payment.status, payment.status_reason, payment.updated_at) == (
        PaymentStatus.FAILED,
        AMOUNT_REASON,
        LATER,
    )
    assert (payment.closed_reason, payment.amount_received, payment.paid_at) == (
        ClosedReason.AMOUNT_MISMATCH,
        1_000,
        None,
    )
    assert (payment.refund_required_at, payment.refund_reason, payment.refund_amount) == (
        LATER,
        AMOUNT_REASON,
        1_000,
    )
    assert payment.refund_open
    assert payment.events == [
        PaymentAmountMismatch("KSR-1", 7, TOTAL, 1_000, status.value),
        RefundRequired("KSR-1", 7, 1_000, AMOUNT_REASON),
    ]


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES - {PaymentStatus.SUCCEEDED}))
def test_another_amount_paid_on_a_closed_attempt_keeps_its_status_and_owes_the_money(
    status: PaymentStatus,
) -> None:
    payment = _in(status)
    reason_before = payment.status_reason

    assert payment.close_amount_mismatch(amount_received=60_000, now=LATER)

    assert (payment.status, payment.status_reason) == (status, reason_before)
    assert (payment.closed_reason, payment.amount_received, payment.refund_amount) == (
        ClosedReason.AMOUNT_MISMATCH,
        60_000,
        60_000,
    )
    assert payment.refund_required_at == LATER


def test_the_same_mismatch_is_recorded_once() -> None:
    payment = _in(PaymentStatus.PENDING)
    payment.close_amount_mismatch(amount_received=1_000, now=LATER)
    payment.events.clear()

    assert not payment.close_amount_mismatch(amount_received=1_000, now=LATER + timedelta(hours=1))

    assert (payment.updated_at, payment.refund_required_at) == (LATER, LATER)
    assert payment.events == []


def test_a_matching_amount_or_a_cash_payment_is_never_closed_as_a_mismatch() -> None:
    payment = _in(PaymentStatus.PENDING)
    with pytest.raises(InvalidTransition, match=r"^the amount received matches the attempt$"):
        payment.close_amount_mismatch(amount_received=TOTAL, now=LATER)
    cash = Payment.take_cash(
        order=_order(),
        attempt_id="KSR-C",
        tendered=TOTAL,
        taken_by="staff:sari",
        shift_id=1,
        now=NOW,
    )
    with pytest.raises(
        InvalidTransition, match=r"^only a gateway payment can receive another amount$"
    ):
        cash.close_amount_mismatch(amount_received=1_000, now=LATER)
    assert (payment.status, payment.closed_reason, payment.events) == (
        PaymentStatus.PENDING,
        None,
        [],
    )
    assert (cash.status, cash.closed_reason, cash.refund_required_at) == (
        PaymentStatus.SUCCEEDED,
        None,
        None,
    )


def test_a_succeeded_attempt_is_never_closed_as_a_mismatch() -> None:
    payment = _in(PaymentStatus.SUCCEEDED)
    with pytest.raises(InvalidTransition, match="already succeeded"):
        payment.close_amount_mismatch(amount_received=1_000, now=LATER)
    assert (payment.status, payment.closed_reason) == (PaymentStatus.SUCCEEDED, None)


def test_an_amount_received_that_is_not_whole_rupiah_is_refused() -> None:
    payment = _in(PaymentStatus.PENDING)
    with pytest.raises(InvalidAmount, match=r"^amount received must be "):
        payment.close_amount_mismatch(amount_received=-1, now=LATER)
    assert payment.status is PaymentStatus.PENDING


def test_the_refund_amount_is_the_attempt_amount_unless_another_amount_was_received() -> None:
    payment = _in(PaymentStatus.SUCCEEDED)
    assert payment.refund_amount is None
    payment.require_refund(reason="order 7 was already paid", now=LATER)
    assert payment.refund_amount == TOTAL
