"""The Midtrans implementation of the PaymentGateway port (Core API: QRIS charge, status,
cancel, and JSON notifications)."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Literal, TypeVar
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from adapters.midtrans.amounts import parse_gross_amount
from adapters.midtrans.config import MidtransConfig
from adapters.midtrans.notifications import MidtransNotificationVerifier
from adapters.midtrans.schemas import (
    ChargeRequest,
    CustomerDetails,
    CustomExpiry,
    QrisOptions,
    TransactionDetails,
)
from adapters.midtrans.states import REFUND_STATES, payment_state
from adapters.midtrans.transport import (
    UnreadableAnswer,
    answer_code,
    detail_of,
    read_answer,
    send,
)
from application.errors import (
    GatewayError,
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
)
from application.gateway import (
    GatewayPaymentState,
    GatewayStatus,
    PaymentNotification,
    QrisCharge,
    QrisChargeRequest,
    ReceivedNotification,
)

CHARGE_PATH = "v2/charge"
QR_ACTION = "generate-qr-code"
NOTIFICATION_HEADER = "X-Override-Notification"
_MAX_NAME = 255
_MAX_PHONE = 19
# Midtrans's "Duplicate order ID" answer: an attempt's id is never reused, so the first
# request created it and only a status check tells how it stands.
_DUPLICATE_ORDER = 406

Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")
_A = TypeVar("_A")

logger = logging.getLogger("kasir.midtrans")


class MidtransPaymentGateway:
    """PaymentGateway over Midtrans's Core API for QRIS.

    It owns no connection: the shared `httpx.AsyncClient` (transport.make_http_client, which
    authenticates with the server key) is passed in and closed by whoever created it. A
    charge is never retried (a repeat could create a second transaction); a status check is
    read-only and retried on transient failures with jittered back-off (`sleep` injected).
    Midtrans can cancel a pending QRIS transaction: `cancels_qris` is True.
    """

    def __init__(
        self, config: MidtransConfig, client: httpx.AsyncClient, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self._config = config
        self._client = client
        self._sleep = sleep
        self._notifications = MidtransNotificationVerifier(server_key=config.server_key)

    def __repr__(self) -> str:
        return (
            f"MidtransPaymentGateway(base_url={self._config.effective_base_url()!r}, "
            f"acquirer={self._config.acquirer!r})"
        )

    @property
    def cancels_qris(self) -> bool:
        return True

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        """POST /v2/charge (payment_type qris) and return the QR payload to show.

        Raises GatewayRejected (Midtrans refused: a 4xx, or an answer without a QR),
        GatewayUnavailable (never sent) or GatewayOutcomeUnknown (a 5xx, an unreadable
        answer, a duplicate order id; GatewayTimeout when no answer came): the transaction
        may exist, so only a status check can tell.
        """
        config = self._config
        body = ChargeRequest(
            payment_type="qris",
            transaction_details=TransactionDetails(
                order_id=request.attempt_id, gross_amount=request.amount
            ),
            qris=QrisOptions(acquirer=config.acquirer),
            custom_expiry=CustomExpiry(expiry_duration=config.expiry_minutes),
            customer_details=CustomerDetails(
                first_name=request.customer.name.strip()[:_MAX_NAME],
                email=request.customer.email,
                phone=(request.customer.phone or "")[:_MAX_PHONE] or None,
            ),
        )
        started = time.perf_counter()
        response = await self._call(
            "charge",
            request.attempt_id,
            "POST",
            CHARGE_PATH,
            body=body,
            headers={NOTIFICATION_HEADER: config.notification_url},
        )
        return self._logged(
            "charge", request.attempt_id, response, _interpret_charge, config, started
        )

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        """Midtrans's account of `attempt_id`, retried on transient failures.

        settlement → PAID (fraud `challenge` keeps it PENDING, `deny` FAILED), pending →
        PENDING, deny/cancel/expire/failure → FAILED, Midtrans's own 404 → NOT_FOUND. A
        refund, an unknown status or a refused key raise GatewayRejected (staff look).
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._config.status_retries),
            wait=wait_exponential_jitter(
                multiplier=self._config.status_retry_initial_wait,
                jitter=self._config.status_retry_initial_wait,
                max=self._config.status_retry_max_wait,
            ),
            retry=retry_if_exception(_is_transient),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self.check_status_once(attempt_id)
        raise AssertionError("tenacity ended without a result or an error")  # pragma: no cover

    async def check_status_once(self, attempt_id: str) -> GatewayStatus:
        """One GET /v2/{order_id}/status, never retried; the caller bounds the wait."""
        started = time.perf_counter()
        response = await self._call(
            "status", attempt_id, "GET", f"v2/{quote(attempt_id, safe='')}/status"
        )
        return self._logged("status", attempt_id, response, _interpret_status, attempt_id, started)

    async def cancel_qris(self, attempt_id: str) -> None:
        """POST /v2/{order_id}/cancel: a pending QR can no longer be paid.

        Done when Midtrans answers `cancel`, or 404 (it never had the transaction: nothing
        to pay). Raises GatewayRejected when Midtrans refuses (e.g. 412: already settled),
        GatewayUnavailable or GatewayTimeout otherwise.
        """
        started = time.perf_counter()
        response = await self._call(
            "cancel", attempt_id, "POST", f"v2/{quote(attempt_id, safe='')}/cancel"
        )
        self._logged("cancel", attempt_id, response, _interpret_cancel, attempt_id, started)

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification:
        return self._notifications.read_notification(fields)

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification:
        return self._notifications.verify_notification(fields)

    async def _call(
        self,
        operation: str,
        attempt_id: str,
        method: Literal["GET", "POST"],
        path: str,
        *,
        body: ChargeRequest | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            return await send(
                self._client,
                method,
                self._config.endpoint(path),
                operation=operation,
                total_timeout=self._config.total_timeout,
                body=body,
                headers=headers,
            )
        except GatewayError as error:
            _log(operation, attempt_id, None, error, started)
            raise

    @staticmethod
    def _logged(
        operation: str,
        attempt_id: str,
        response: httpx.Response,
        interpret: Callable[[httpx.Response, _A], _T],
        argument: _A,
        started: float,
    ) -> _T:
        try:
            result = interpret(response, argument)
        except GatewayError as error:
            _log(operation, attempt_id, response.status_code, error, started)
            raise
        _log(operation, attempt_id, response.status_code, None, started)
        return result


def _interpret_charge(response: httpx.Response, config: MidtransConfig) -> QrisCharge:
    answer = read_answer(response)
    code = answer_code(response, answer)
    if response.status_code >= 500 or code >= 500 or answer is None:
        raise GatewayOutcomeUnknown(
            f"Midtrans failed while creating the QRIS transaction (HTTP {response.status_code}); "
            "it may exist: only a status check can tell",
            detail=detail_of(response, answer),
        )
    if code == _DUPLICATE_ORDER:
        raise GatewayOutcomeUnknown(
            "Midtrans already has a transaction for this attempt: only a status check can tell",
            detail=detail_of(response, answer),
        )
    if code >= 300 or response.status_code >= 300:
        raise GatewayRejected(
            f"Midtrans refused the QRIS charge (status {code})", detail=detail_of(response, answer)
        )
    qr_url = next((a.url for a in answer.actions if a.name == QR_ACTION and a.url), None)
    if not answer.qr_string or not answer.transaction_id or answer.transaction_status != "pending":
        raise GatewayRejected(
            "Midtrans answered the charge without a pending QRIS transaction",
            detail=f"transaction_status {str(answer.transaction_status)[:20]!r}",
        )
    return QrisCharge(
        gateway_reference=answer.transaction_id,
        qr_string=answer.qr_string,
        payment_url=qr_url or "",
        valid_for=timedelta(minutes=config.expiry_minutes),
    )


def _interpret_status(response: httpx.Response, attempt_id: str) -> GatewayStatus:
    answer = read_answer(response)
    code = answer_code(response, answer)
    if answer is None or response.status_code >= 500 or code >= 500:
        error = (
            GatewayUnavailable if response.status_code >= 500 or code >= 500 else UnreadableAnswer
        )
        raise error(
            f"Midtrans's status answer is not usable (HTTP {response.status_code})",
            detail=detail_of(response, answer),
        )
    if code == httpx.codes.NOT_FOUND and answer.transaction_status is None:
        return GatewayStatus(attempt_id, GatewayPaymentState.NOT_FOUND)
    # A known transaction's body code follows its status ("407" expired, "202" denied):
    # the transaction_status decides then, not the code.
    if response.status_code >= 300 or answer.transaction_status is None:
        raise GatewayRejected(
            f"Midtrans refused the status request (status {code})",
            detail=detail_of(response, answer),
        )
    if answer.order_id and answer.order_id != attempt_id:
        raise UnreadableAnswer(
            "Midtrans answered the status request for another order",
            detail="order_id in the answer differs from the one asked",
        )
    transaction_status = answer.transaction_status
    state = payment_state(transaction_status, answer.fraud_status)
    if state is None:
        kind = "a refund" if transaction_status in REFUND_STATES else "an unknown status"
        raise GatewayRejected(
            f"Midtrans reports {kind} for this transaction: staff must look",
            detail=f"transaction_status {transaction_status[:20]!r}",
        )
    amount: int | None = None
    if answer.gross_amount:
        try:
            amount = parse_gross_amount(answer.gross_amount)
        except ValueError as exc:
            raise UnreadableAnswer(
                "Midtrans reported an amount that is not whole rupiah",
                detail=f"gross_amount {answer.gross_amount[:30]!r}",
            ) from exc
    return GatewayStatus(
        attempt_id=attempt_id,
        state=state,
        amount=amount,
        gateway_reference=answer.transaction_id or None,
    )


def _interpret_cancel(response: httpx.Response, attempt_id: str) -> None:
    answer = read_answer(response)
    code = answer_code(response, answer)
    if answer is not None and code == httpx.codes.NOT_FOUND:
        return  # Midtrans never had it: nothing can be paid
    if answer is not None and code < 300 and answer.transaction_status == "cancel":
        return
    if answer is not None and 400 <= code < 500:
        raise GatewayRejected(
            f"Midtrans refused to cancel {attempt_id[:64]!r} (status {code})",
            detail=detail_of(response, answer),
        )
    raise GatewayUnavailable(
        f"Midtrans did not cancel {attempt_id[:64]!r} (HTTP {response.status_code})",
        detail=detail_of(response, answer),
    )


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, UnreadableAnswer):
        return False
    return isinstance(error, GatewayUnavailable | GatewayTimeout)


def _log(
    operation: str,
    attempt_id: str,
    http_status: int | None,
    error: Exception | None,
    started: float,
) -> None:
    """One line per call: operation, attempt, HTTP status, outcome; never the server key."""
    outcome = "ok" if error is None else type(error).__name__
    detail = "" if error is None else f" error={str(error)!r}"
    logger.log(
        logging.INFO if error is None else logging.WARNING,
        "midtrans %s order=%r http_status=%s outcome=%s duration_ms=%.1f%s",
        operation,
        attempt_id[:64],
        http_status if http_status is not None else "-",
        outcome,
        (time.perf_counter() - started) * 1000,
        detail,
    )
