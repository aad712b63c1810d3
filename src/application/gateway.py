"""The payment gateway port and the values it exchanges, in the application's own language.

A gateway's wire format, field names and signatures stay inside its adapter; a second gateway
(Midtrans, Xendit) is one new adapter implementing `PaymentGateway`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class QrisChargeRequest:
    """Ask the gateway for a dynamic QRIS for one attempt (`attempt_id` is never reused)."""

    attempt_id: str
    amount: int
    description: str
    customer: Customer


@dataclass(frozen=True, slots=True)
class QrisCharge:
    """What the customer's screen needs: the QRIS payload, the hosted page, the validity."""

    gateway_reference: str
    qr_string: str
    payment_url: str
    valid_for: timedelta


class GatewayPaymentState(StrEnum):
    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"  # failed, cancelled or expired at the gateway
    NOT_FOUND = "not_found"  # the gateway never created this transaction


@dataclass(frozen=True, slots=True)
class GatewayStatus:
    """The gateway's own account of a transaction, the one source that confirms money arrived."""

    attempt_id: str
    state: GatewayPaymentState
    amount: int | None = None
    gateway_reference: str | None = None


class NotificationResult(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PaymentNotification:
    """A verified notification. A trigger, not proof: the status check confirms it."""

    attempt_id: str
    amount: int
    result: NotificationResult
    result_code: str
    gateway_reference: str | None
    signature_scheme: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedNotification:
    """What kasir keeps of a notification as it arrives, verified or not.

    Read by the gateway's adapter, which alone knows the gateway's field names: the
    application stores and logs these values and never looks inside the raw fields.
    """

    attempt_id: str | None  # the attempt the notification names (unverified, bounded)
    signature: str | None  # as sent (bounded), for the audit trail
    fields: dict[str, str]  # every field, the payer's personal data masked
    fields_if_rejected: dict[str, str]  # the gateway's own field names only, bounded in size


class PaymentGateway(Protocol):
    """Creates QRIS charges, reports a transaction's status and verifies notifications.

    Raises (from application.errors): GatewayRejected when the gateway refused the request
    (definitely not created), GatewayUnavailable when it could not be reached or failed,
    GatewayTimeout when the outcome is unknown (the request may have been taken),
    NotificationRejected / InvalidNotification for notifications that are forged or malformed.
    """

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        """Create a QRIS transaction. Never retried blindly: a timeout is an unknown outcome."""
        ...

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        """Ask the gateway what happened to `attempt_id`. Safe to retry."""
        ...

    async def check_status_once(self, attempt_id: str) -> GatewayStatus:
        """Like `check_status`, but one request and no retries.

        For a caller that cannot wait on the gateway's retries and bounds the call itself
        (`asyncio.timeout`): the cashier, who asks whether the order's QR was just paid before
        taking cash, and takes it when no answer comes in time.
        """
        ...

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification:
        """What to store and log of a notification before (and whatever) its verification.

        Never raises: any fields, however malformed, give something to keep.
        """
        ...

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification:
        """Prove a notification came from the gateway (signature, merchant) and parse it."""
        ...

    @property
    def cancels_qris(self) -> bool:
        """Whether this gateway can withdraw an unpaid QR (`cancel_qris`).

        A capability, not a gateway's name: where it is False (the gateway has no cancel call), a
        QR kasir closes stays payable at the gateway until it expires, and the closed-QR rules
        apply (reconciliation watches it; money arriving on it becomes a refund to make).
        """
        ...

    async def cancel_qris(self, attempt_id: str) -> None:
        """Withdraw the unpaid QR of `attempt_id` at the gateway so nobody can pay it any more.

        Only called when `cancels_qris` is True, after kasir has closed the attempt in its own
        committed transaction. Raises GatewayError when the gateway did not (or may not have)
        cancelled it, e.g. GatewayRejected when it was paid meanwhile: the closed-QR rules
        still apply then, so a failed cancel never undoes what kasir decided.
        """
        ...
