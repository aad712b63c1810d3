"""The Duitku implementation of the PaymentGateway port (v2 "webapi": inquiry + status)."""

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from adapters.duitku.amounts import parse_whole_rupiah
from adapters.duitku.config import DuitkuConfig, SignatureScheme
from adapters.duitku.notifications import DuitkuNotificationVerifier
from adapters.duitku.schemas import InquiryRequest, InquiryResponse, StatusRequest, StatusResponse
from adapters.duitku.signature import inquiry_signature, status_signature
from adapters.duitku.transport import (
    UnexpectedAnswer,
    clip,
    decode_json,
    duitku_message,
    error_message,
    http_error,
    log_call,
    log_retry,
    make_http_client,
    post_json,
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

__all__ = ["INQUIRY_PATH", "STATUS_PATH", "DuitkuPaymentGateway", "Sleep", "make_http_client"]

INQUIRY_PATH = "v2/inquiry"
STATUS_PATH = "transactionStatus"

Sleep = Callable[[float], Awaitable[None]]
SignedBody = InquiryRequest | StatusRequest

logger = logging.getLogger("kasir.duitku")

_STATUS_STATES = {
    "00": GatewayPaymentState.PAID,
    "01": GatewayPaymentState.PENDING,
    "02": GatewayPaymentState.FAILED,
}
# Duitku's own answer for an unknown merchantOrderId: HTTP 400 {"Message": "Transaction not
# found"}. Any other "not found" (a proxy's HTML 404, a wrong URL) says nothing about the order.
_TRANSACTION_NOT_FOUND = "transaction not found"
_MERCHANT_NOT_FOUND = re.compile(r"\bmerchant not found\b", re.IGNORECASE)
# Duitku answers a signature it does not accept with 401 {"Message": "Wrong signature"}.
_SIGNATURE_REFUSED = re.compile(r"\bsignature\b", re.IGNORECASE)
_MAX_VA_NAME = 20
_MAX_PHONE = 20
_MAX_PRODUCT_DETAILS = 255


class DuitkuPaymentGateway:
    """PaymentGateway over Duitku's v2 webapi: QRIS inquiry, transactionStatus, callbacks.

    It owns no connection: the shared `httpx.AsyncClient` (see `make_http_client`) is passed
    in and closed by whoever created it. `create_qris` is never retried, because a repeated
    inquiry could create a second transaction; `check_status` is read-only and is retried on
    transient failures with jittered exponential back-off, sleeping with the injected
    `sleep` so tests need not wait.

    Signing: with `signature_scheme="auto"` requests are signed with HMAC-SHA256 (Duitku's
    2026 scheme); if Duitku answers "Wrong signature", the same request is sent once more
    signed with legacy MD5 (a refused signature creates nothing, so this is safe), and when
    MD5 is accepted this gateway signs with MD5 for the rest of the process.
    """

    def __init__(
        self,
        config: DuitkuConfig,
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        self._client = client
        # Built once: the configuration cannot change while the process runs.
        self._urls = {path: config.endpoint(path) for path in (INQUIRY_PATH, STATUS_PATH)}
        self._sleep = sleep
        self._scheme: SignatureScheme = "md5" if config.signature_scheme == "md5" else "hmac"
        self._may_fall_back = config.signature_scheme == "auto"
        self._notifications = DuitkuNotificationVerifier(
            merchant_code=config.merchant_code,
            api_key=config.api_key,
            accepted=config.callback_signatures,
        )

    def __repr__(self) -> str:
        return (
            f"DuitkuPaymentGateway(merchant_code={self._config.merchant_code!r}, "
            f"base_url={self._config.effective_base_url()!r}, "
            f"payment_method={self._config.payment_method!r})"
        )

    @property
    def signature_scheme(self) -> SignatureScheme:
        """The scheme requests are signed with now (`auto` may have moved it to MD5)."""
        return self._scheme

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        """Request a QRIS transaction (v2 inquiry) and return the QR payload to show.

        Raises GatewayRejected (a 4xx refusal, or an answer without a QR: nothing to pay),
        GatewayUnavailable (the request was never sent, or a redirect) or
        GatewayOutcomeUnknown (a 5xx or unreadable answer; GatewayTimeout when no answer
        came): Duitku may have created the transaction, so only a status check can tell.
        """
        config = self._config

        def body(scheme: SignatureScheme) -> InquiryRequest:
            return InquiryRequest(
                merchant_code=config.merchant_code,
                payment_amount=request.amount,
                payment_method=config.payment_method,
                merchant_order_id=request.attempt_id,
                product_details=request.description[:_MAX_PRODUCT_DETAILS],
                email=request.customer.email,
                customer_va_name=request.customer.name.strip()[:_MAX_VA_NAME],
                callback_url=config.callback_url,
                return_url=config.return_url,
                signature=inquiry_signature(
                    config.merchant_code,
                    request.attempt_id,
                    request.amount,
                    config.api_key,
                    scheme,
                ),
                phone_number=_phone_digits(request.customer.phone),
                expiry_period=config.expiry_minutes,
            )

        started = time.perf_counter()
        response = await self._signed_post("inquiry", INQUIRY_PATH, body, request.attempt_id)
        try:
            charge = _interpret_inquiry(response, config)
        except GatewayError as error:
            log_call("inquiry", request.attempt_id, response.status_code, error, started)
            raise
        log_call("inquiry", request.attempt_id, response.status_code, None, started)
        return charge

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        """Duitku's account of `attempt_id` (transactionStatus), retried on transient failures.

        00 → PAID, 01 → PENDING, 02 → FAILED (cancelled or expired); Duitku's own
        400 {"Message": "Transaction not found"} → NOT_FOUND. Permanent errors (a refused
        signature, an unknown merchant, an unknown statusCode) raise GatewayRejected at once;
        an unreadable answer raises GatewayUnavailable at once (asking again soon would get
        the same, and Duitku blocks clients that poll); after `config.status_retries`
        attempts the last GatewayUnavailable/GatewayTimeout is raised.
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
            before_sleep=log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._check_status_once(attempt_id)
        raise AssertionError("tenacity ended without a result or an error")  # pragma: no cover

    async def check_status_once(self, attempt_id: str) -> GatewayStatus:
        """One transactionStatus request, never retried; the caller bounds how long it waits."""
        return await self._check_status_once(attempt_id)

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification:
        """The callback's merchantOrderId, signature and masked fields (API.md §7.2)."""
        return self._notifications.read_notification(fields)

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification:
        """Check a callback's form fields (API.md §7.2) and turn them into a notification.

        Empty fields count as missing and unknown fields are ignored. Raises
        InvalidNotification when a required field is missing or malformed, and
        NotificationRejected when the merchant code or the signature is wrong. Signatures
        verify with HMAC first, then legacy MD5, as `config.callback_signatures` allows.
        """
        return self._notifications.verify_notification(fields)

    @property
    def cancels_qris(self) -> bool:
        """Duitku's v2 webapi has no call that withdraws a QR: it stays payable until it
        expires, and kasir's closed-QR rules apply."""
        return False

    async def cancel_qris(self, attempt_id: str) -> None:
        """Never called (`cancels_qris` is False); refuses, creating nothing."""
        raise GatewayRejected("Duitku cannot cancel a QRIS transaction")

    async def _check_status_once(self, attempt_id: str) -> GatewayStatus:
        config = self._config

        def body(scheme: SignatureScheme) -> StatusRequest:
            return StatusRequest(
                merchant_code=config.merchant_code,
                merchant_order_id=attempt_id,
                signature=status_signature(
                    config.merchant_code, attempt_id, config.api_key, scheme
                ),
            )

        started = time.perf_counter()
        response = await self._signed_post("transactionStatus", STATUS_PATH, body, attempt_id)
        try:
            status = _interpret_status(response, attempt_id)
        except GatewayError as error:
            log_call("transactionStatus", attempt_id, response.status_code, error, started)
            raise
        log_call(
            "transactionStatus", attempt_id, response.status_code, None, started, state=status.state
        )
        return status

    async def _signed_post(
        self,
        operation: str,
        path: str,
        body: Callable[[SignatureScheme], SignedBody],
        order_id: str,
    ) -> httpx.Response:
        """POST `body` signed with the current scheme; with `auto`, once more with MD5 if
        Duitku refuses the HMAC signature, keeping MD5 when Duitku accepts it."""
        scheme = self._scheme
        response = await self._post(operation, path, body(scheme), order_id)
        if not (self._may_fall_back and scheme == "hmac" and _signature_refused(response)):
            return response
        logger.warning(
            "duitku %s: Duitku refused the HMAC-SHA256 signature; retrying once with MD5",
            operation,
        )
        response = await self._post(operation, path, body("md5"), order_id)
        if _signature_accepted(response) and self._scheme == "hmac":
            self._scheme = "md5"
            logger.warning(
                "duitku: Duitku accepts MD5 but not HMAC-SHA256 signatures; this process signs "
                "with MD5 from now on (set DUITKU_SIGNATURE=md5 to start that way)"
            )
        return response

    async def _post(
        self, operation: str, path: str, body: SignedBody, order_id: str
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            return await post_json(
                self._client,
                self._urls[path],
                body,
                operation=operation,
                total_timeout=self._config.total_timeout,
            )
        except GatewayError as error:
            log_call(operation, order_id, None, error, started)
            raise


def _interpret_inquiry(response: httpx.Response, config: DuitkuConfig) -> QrisCharge:
    status_code = response.status_code
    if status_code >= 500:
        raise GatewayOutcomeUnknown(
            f"Duitku failed while creating the QRIS transaction (HTTP {status_code}); "
            "it may exist: only a status check can tell",
            detail=error_message(response) or f"HTTP {status_code}",
        )
    if status_code != httpx.codes.OK:
        # 4xx: Duitku's documented refusals (nothing created); 3xx: not followed, never taken.
        raise http_error(response, "Duitku refused the QRIS request (inquiry)")
    answer = decode_json(response, InquiryResponse, error=GatewayOutcomeUnknown)
    if answer.status_code != "00":
        raise GatewayRejected(
            "Duitku did not create the QRIS transaction",
            detail=clip(answer.status_message) or f"statusCode {answer.status_code!r}",
        )
    if not answer.qr_string or not answer.reference:
        raise GatewayRejected(
            "Duitku answered without a QRIS payload or reference",
            detail=f"paymentMethod {config.payment_method!r} returned no qrString/reference",
        )
    return QrisCharge(
        gateway_reference=answer.reference,
        qr_string=answer.qr_string,
        payment_url=answer.payment_url or "",
        valid_for=timedelta(minutes=config.expiry_minutes),
    )


def _interpret_status(response: httpx.Response, attempt_id: str) -> GatewayStatus:
    if response.status_code != httpx.codes.OK:
        return _status_error_answer(response, attempt_id)
    answer = decode_json(response, StatusResponse)
    state = _STATUS_STATES.get(answer.status_code or "")
    if state is None:
        # Not a transient failure: asking again gets the same answer (staff must look).
        message = clip(answer.status_message)
        raise GatewayRejected(
            "Duitku answered transactionStatus with an unknown status",
            detail=f"statusCode {str(answer.status_code)[:10]!r}"
            + (f", statusMessage {message[:60]!r}" if message else ""),
        )
    if answer.merchant_order_id and answer.merchant_order_id != attempt_id:
        raise UnexpectedAnswer(
            "Duitku answered transactionStatus for another order",
            detail="merchantOrderId in the answer differs from the one asked",
        )
    amount: int | None = None
    if answer.amount is not None and answer.amount != "":
        try:
            amount = parse_whole_rupiah(answer.amount)
        except ValueError as exc:
            raise UnexpectedAnswer(
                "Duitku answered transactionStatus with an amount that is not whole rupiah",
                detail=f"amount {str(answer.amount)[:30]!r}",
            ) from exc
    return GatewayStatus(
        attempt_id=attempt_id,
        state=state,
        amount=amount,
        gateway_reference=answer.reference or None,
    )


def _status_error_answer(response: httpx.Response, attempt_id: str) -> GatewayStatus:
    """NOT_FOUND for Duitku's own not-found answer; otherwise the error to raise.

    Permanent (GatewayRejected, never retried here): a refused signature (401) and an unknown
    merchant. Anything else (a proxy's HTML page, a wrong URL, another 4xx) is
    UnexpectedAnswer, and a 5xx GatewayUnavailable: errors to retry later, never "not found".
    """
    status_code = response.status_code
    message = duitku_message(response)
    if status_code == httpx.codes.BAD_REQUEST and _is_transaction_not_found(message):
        return GatewayStatus(attempt_id, GatewayPaymentState.NOT_FOUND)
    if status_code == httpx.codes.UNAUTHORIZED or (
        message is not None and _MERCHANT_NOT_FOUND.search(message)
    ):
        raise GatewayRejected(
            f"Duitku refused the status request (transactionStatus): HTTP {status_code}",
            detail=error_message(response) or f"HTTP {status_code}",
        )
    if 400 <= status_code < 500:
        raise UnexpectedAnswer(
            f"Duitku's status request got an answer that is not Duitku's: HTTP {status_code}",
            detail=error_message(response) or f"HTTP {status_code}",
        )
    raise http_error(response, "Duitku refused the status request (transactionStatus)")


def _is_transaction_not_found(message: str | None) -> bool:
    return message is not None and message.strip().casefold() == _TRANSACTION_NOT_FOUND


def _signature_refused(response: httpx.Response) -> bool:
    """Duitku's "Wrong signature" answer: HTTP 401 with a message about the signature."""
    if response.status_code != httpx.codes.UNAUTHORIZED:
        return False
    message = duitku_message(response)
    return message is not None and bool(_SIGNATURE_REFUSED.search(message))


def _signature_accepted(response: httpx.Response) -> bool:
    """Duitku got past the signature check: a success, or Duitku refusing something else."""
    if response.status_code == httpx.codes.OK:
        return True
    return (
        400 <= response.status_code < 500
        and duitku_message(response) is not None
        and not _signature_refused(response)
    )


def _phone_digits(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = "".join(char for char in phone if "0" <= char <= "9")[:_MAX_PHONE]
    return digits or None


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, UnexpectedAnswer):
        return False
    return isinstance(error, GatewayUnavailable | GatewayTimeout)
