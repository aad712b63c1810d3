"""Rules that span an order and its payments: applying a confirmed success, taking cash."""

from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidTransition, ShiftClosed
from domain.orders import Order
from domain.payments import Payment
from domain.shifts import Shift


class SettlementOutcome(StrEnum):
    ORDER_PAID = "order_paid"  # the success paid the order
    REFUND_REQUIRED = "refund_required"  # money arrived for an order already paid or cancelled
    ALREADY_APPLIED = "already_applied"  # a duplicate: nothing changed


def apply_gateway_success(
    *,
    order: Order,
    payment: Payment,
    amount: int,
    now: datetime,
    gateway_reference: str | None = None,
) -> SettlementOutcome:
    """Apply a success the gateway confirmed, exactly once.

    It pays the order if the order still awaits payment; otherwise the money is recorded as a
    refund to make, because it really arrived and must never be dropped.
    """
    if payment.order_id != order.id:
        raise InvalidTransition("payment belongs to another order")
    if not payment.confirm_success(amount=amount, now=now, gateway_reference=gateway_reference):
        return SettlementOutcome.ALREADY_APPLIED
    if order.awaits_payment:
        order.mark_paid(attempt_id=payment.attempt_id, now=now)
        return SettlementOutcome.ORDER_PAID
    payment.require_refund(reason=f"order {order.id} was already {order.status.value}", now=now)
    return SettlementOutcome.REFUND_REQUIRED


def take_cash(
    *,
    order: Order,
    open_qris: Payment | None,
    attempt_id: str,
    tendered: int,
    taken_by: str,
    shift: Shift,
    now: datetime,
) -> Payment:
    """Pay the order in cash into `shift`'s drawer; an open QRIS attempt of that order is
    cancelled with it. Raises ShiftClosed when the shift closed meanwhile."""
    if not shift.is_open:
        raise ShiftClosed(f"shift {shift.id} is closed")
    payment = Payment.take_cash(
        order=order,
        attempt_id=attempt_id,
        tendered=tendered,
        taken_by=taken_by,
        shift_id=shift.key,
        now=now,
    )
    shift.record_cash_payment(payment.amount)
    if open_qris is not None and open_qris.is_open:
        open_qris.cancel(reason="paid in cash", now=now)
    order.mark_paid(attempt_id=attempt_id, now=now)
    return payment
