"""A scriptable stand-in for a payment gateway: succeeds, fails, times out, emits notifications.

It keeps its own transactions like a real gateway would and signs its notifications the way
Duitku does (form fields, HMAC-SHA256 of merchantCode + amount + merchantOrderId), but it
never verifies them itself: verification is given to it (`notifications`), and the
composition root gives it the production Duitku verifier, so every flow that runs on this
fake still verifies callbacks through the production code path.
"""

import asyncio
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from application.errors import GatewayError, GatewayRejected, GatewayTimeout
from application.gateway import (
    GatewayPaymentState,
    GatewayStatus,
    PaymentNotification,
    QrisCharge,
    QrisChargeRequest,
    ReceivedNotification,
)

FAKE_MERCHANT_CODE = "FAKE01"
FAKE_SIGNING_KEY = "fake-signing-key"


class NotificationVerifier(Protocol):
    """The notification half of the PaymentGateway port."""

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification: ...

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification: ...


class NoNotificationVerifier(RuntimeError):
    """The fake was asked to verify a notification without being given a verifier."""


@dataclass(slots=True)
class FakeTransaction:
    attempt_id: str
    amount: int
    reference: str
    state: GatewayPaymentState = GatewayPaymentState.PENDING


@dataclass(slots=True)
class _Script:
    create_errors: list[GatewayError] = field(default_factory=list)
    create_timeout_after_taking: int = 0
    status_errors: list[GatewayError] = field(default_factory=list)
    status_hangs: int = 0
    cancel_errors: list[GatewayError] = field(default_factory=list)


class FakePaymentGateway:
    """In-memory gateway with the PaymentGateway port's behaviour and knobs for tests.

    `notifications` verifies what the webhook receives; build it with the production
    verifier keyed with `signing_key` (entrypoints.gateways.fake_gateway does).
    """

    def __init__(
        self,
        *,
        merchant_code: str = FAKE_MERCHANT_CODE,
        signing_key: str = FAKE_SIGNING_KEY,
        notifications: NotificationVerifier | None = None,
        valid_for: timedelta = timedelta(minutes=10),
        reference_prefix: str = "",
        keep_history: bool = True,
        cancels: bool = False,
    ) -> None:
        """`reference_prefix` keeps references unique across processes sharing a database;
        `keep_history=False` stops recording requests (a long-running server, not tests);
        `cancels` gives it the cancel capability (a gateway like Midtrans; Duitku has none)."""
        self.merchant_code = merchant_code
        self._signing_key = signing_key.encode()
        self.notifications = notifications
        self.valid_for = valid_for
        self.reference_prefix = reference_prefix
        self.keep_history = keep_history
        self.transactions: dict[str, FakeTransaction] = {}
        self.create_requests: list[QrisChargeRequest] = []
        self.status_checks: list[str] = []
        self.cancels = cancels
        self.cancelled: list[str] = []  # every attempt_id `cancel_qris` withdrew, in order
        self._creates = 0  # numbers references; not len(create_requests), which tests may clear
        self._script = _Script()

    def __repr__(self) -> str:
        return f"FakePaymentGateway(merchant_code={self.merchant_code!r})"

    # --- scripting -------------------------------------------------------------------------
    def fail_next_create(self, error: GatewayError) -> None:
        """The next create raises `error` without creating anything."""
        self._script.create_errors.append(error)

    def time_out_next_create(self) -> None:
        """The next create takes the request (the transaction exists) but the answer is lost."""
        self._script.create_timeout_after_taking += 1

    def fail_next_status(self, error: GatewayError) -> None:
        self._script.status_errors.append(error)

    def fail_next_cancel(self, error: GatewayError) -> None:
        """The next cancel raises `error` and leaves the transaction as it is."""
        self._script.cancel_errors.append(error)

    def hang_next_status(self) -> None:
        """The next one-shot status check never answers: its caller's timeout ends it."""
        self._script.status_hangs += 1

    def pay(self, attempt_id: str) -> None:
        """The customer paid: the gateway now reports the transaction as paid."""
        self.transactions[attempt_id].state = GatewayPaymentState.PAID

    def fail(self, attempt_id: str) -> None:
        self.transactions[attempt_id].state = GatewayPaymentState.FAILED

    def notification_for(
        self,
        attempt_id: str,
        *,
        result_code: str = "00",
        amount: int | None = None,
        scheme: str = "hmac",
    ) -> dict[str, str]:
        """The form fields the gateway would POST for `attempt_id`, correctly signed with
        `scheme` ("hmac", or Duitku's legacy "md5")."""
        transaction = self.transactions.get(attempt_id)
        sent_amount = str(
            amount if amount is not None else transaction.amount if transaction else 0
        )
        return {
            "merchantCode": self.merchant_code,
            "amount": sent_amount,
            "merchantOrderId": attempt_id,
            "resultCode": result_code,
            "reference": transaction.reference if transaction else "",
            "signature": self.sign(self.merchant_code, sent_amount, attempt_id, scheme=scheme),
        }

    def sign(
        self, merchant_code: str, amount: str, attempt_id: str, *, scheme: str = "hmac"
    ) -> str:
        """Duitku's callback signature: HMAC-SHA256, or legacy MD5 of the string plus key."""
        message = f"{merchant_code}{amount}{attempt_id}".encode()
        if scheme == "md5":
            return hashlib.md5(message + self._signing_key, usedforsecurity=False).hexdigest()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    # --- the port ----------------------------------------------------------------------------
    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        if self.keep_history:
            self.create_requests.append(request)
        self._creates += 1
        if self._script.create_errors:
            raise self._script.create_errors.pop(0)
        reference = f"{self.merchant_code}R{self.reference_prefix}{self._creates:08d}"
        self.transactions[request.attempt_id] = FakeTransaction(
            request.attempt_id, request.amount, reference
        )
        if self._script.create_timeout_after_taking:
            self._script.create_timeout_after_taking -= 1
            raise GatewayTimeout("the gateway did not answer in time")
        return QrisCharge(
            gateway_reference=reference,
            qr_string=f"00020101021226FAKE{request.attempt_id}54{len(str(request.amount)):02d}"
            f"{request.amount}5802ID6304FAKE",
            payment_url=f"https://fake-gateway.invalid/pay/{reference}",
            valid_for=self.valid_for,
        )

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        if self.keep_history:
            self.status_checks.append(attempt_id)
        if self._script.status_errors:
            raise self._script.status_errors.pop(0)
        transaction = self.transactions.get(attempt_id)
        if transaction is None:
            return GatewayStatus(attempt_id, GatewayPaymentState.NOT_FOUND)
        return GatewayStatus(
            attempt_id, transaction.state, transaction.amount, transaction.reference
        )

    async def check_status_once(self, attempt_id: str) -> GatewayStatus:
        if self._script.status_hangs:
            self._script.status_hangs -= 1
            if self.keep_history:
                self.status_checks.append(attempt_id)
            await asyncio.Event().wait()  # no answer, until the caller gives up (cancels)
        return await self.check_status(attempt_id)

    @property
    def cancels_qris(self) -> bool:
        return self.cancels

    async def cancel_qris(self, attempt_id: str) -> None:
        """A pending transaction becomes failed (nothing can pay it); a paid one is refused."""
        if not self.cancels:
            raise GatewayRejected("this gateway cannot cancel a QR")
        if self._script.cancel_errors:
            raise self._script.cancel_errors.pop(0)
        transaction = self.transactions.get(attempt_id)
        if transaction is None or transaction.state is not GatewayPaymentState.PENDING:
            raise GatewayRejected("only a pending transaction can be cancelled")
        transaction.state = GatewayPaymentState.FAILED
        self.cancelled.append(attempt_id)

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification:
        """Delegated, like verification: the fake knows no field names of its own."""
        return self._verifier().read_notification(fields)

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification:
        """Verification is delegated: this fake has no verification code of its own."""
        return self._verifier().verify_notification(fields)

    def _verifier(self) -> NotificationVerifier:
        if self.notifications is None:
            raise NoNotificationVerifier(
                "FakePaymentGateway verifies no notifications itself: give it the production "
                "verifier (entrypoints.gateways.fake_gateway)"
            )
        return self.notifications
