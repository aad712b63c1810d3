"""Midtrans transaction statuses (and fraud statuses) in kasir's words."""

from application.gateway import GatewayPaymentState, NotificationResult

# `expire`, not "expired": the spelling client libraries have got wrong.
_STATES = {
    "pending": GatewayPaymentState.PENDING,
    "authorize": GatewayPaymentState.PENDING,
    "settlement": GatewayPaymentState.PAID,
    "capture": GatewayPaymentState.PAID,  # cards only; accepted by fraud_status below
    "deny": GatewayPaymentState.FAILED,
    "cancel": GatewayPaymentState.FAILED,
    "expire": GatewayPaymentState.FAILED,
    "failure": GatewayPaymentState.FAILED,
}
# Money that came and was (partly) given back at Midtrans: not a state kasir may settle an
# attempt from on its own (paid? failed?); staff look.
REFUND_STATES = frozenset({"refund", "partial_refund"})


def payment_state(transaction_status: str, fraud_status: str | None) -> GatewayPaymentState | None:
    """kasir's state for a Midtrans status; None for one kasir does not know (or a refund).

    A `deny` fraud status fails the transaction whatever its status; `challenge` keeps it
    pending (Midtrans's fraud review has not accepted the money yet).
    """
    state = _STATES.get(transaction_status)
    if state is None:
        return None
    if fraud_status == "deny":
        return GatewayPaymentState.FAILED
    if fraud_status == "challenge" and state is GatewayPaymentState.PAID:
        return GatewayPaymentState.PENDING
    return state


def notification_result(transaction_status: str, fraud_status: str | None) -> NotificationResult:
    """What a notification claims: a success, a failure, or anything else (pending, refund)."""
    state = payment_state(transaction_status, fraud_status)
    if state is GatewayPaymentState.PAID:
        return NotificationResult.SUCCESS
    if state is GatewayPaymentState.FAILED:
        return NotificationResult.FAILED
    return NotificationResult.OTHER
