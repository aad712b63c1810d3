"""The Duitku implementation of the PaymentGateway port (v2 "webapi": inquiry + status)."""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from adapters.duitku.amounts import parse_whole_rupiah
from adapters.duitku.call_log import log_call, log_retry
from adapters.duitku.config import DuitkuConfig
from adapters.duitku.notifications import present_fields, verify_callback
from adapters.duitku.schemas import InquiryRequest, InquiryResponse, StatusRequest, StatusResponse
from adapters.duitku.signature import inquiry_signature, status_signature
from adapters.duitku.transport import (
    UnexpectedAnswer,
    clip,
    decode_json,
    error_message,
    http_error,
    make_http_client,
    post_json,
)
from application.errors import (
    GatewayError,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidNotification,
    NotificationRejected,
)
from application.gateway import (
    GatewayPaymentState,
    GatewayStatus,
    PaymentNotification,
    QrisCharge,
    QrisChargeRequest,
)

__all__ = ["INQUIRY_PATH", "STATUS_PATH", "DuitkuPaymentGateway", "Sleep", "make_http_client"]

INQUIRY_PATH = "v2/inquiry"
STATUS_PATH = "transactionStatus"

Sleep = Callable[[float], Awaitable[None]]

_STATUS_STATES = {
    "00": GatewayPaymentState.PAID,
    "01": GatewayPaymentState.PENDING,
    "02": GatewayPaymentState.FAILED,
}
# "Merchant not found" is a configuration error, not an unknown transaction.
_MERCHANT_NOT_FOUND = re.compile(r"\bmerchant not found\b", re.IGNORECASE)
_NOT_FOUND = re.compile(r"\bnot found\b", re.IGNORECASE)
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
        self._sleep = sleep

    def __repr__(self) -> str:
        return (
            f"DuitkuPaymentGateway(merchant_code={self._config.merchant_code!r}, "
            f"base_url={self._config.effective_base_url()!r}, "
            f"payment_method={self._config.payment_method!r})"
        )

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        """Request a QRIS transaction (v2 inquiry) and return the QR payload to show.

        Raises GatewayRejected (4xx, or an answer without a QR), GatewayUnavailable (not
        reached, 5xx, unreadable answer) or GatewayTimeout (the outcome is unknown).
        """
        config = self._config
        body = InquiryRequest(
            merchant_code=config.merchant_code,
            payment_amount=request.amount,
            payment_method=config.payment_method,
            merchant_order_id=request.order_uid,
            product_details=request.description[:_MAX_PRODUCT_DETAILS],
            email=request.customer.email,
            customer_va_name=request.customer.name.strip()[:_MAX_VA_NAME],
            callback_url=config.callback_url,
            return_url=config.return_url,
            signature=inquiry_signature(
                config.merchant_code,
                request.order_uid,
                request.amount,
                config.api_key,
                config.signature_scheme,
            ),
            phone_number=_phone_digits(request.customer.phone),
            expiry_period=config.expiry_minutes,
        )
        started = time.perf_counter()
        response = await self._post("inquiry", INQUIRY_PATH, body, request.order_uid, started)
        try:
            charge = _interpret_inquiry(response, config)
        except GatewayError as error:
            log_call("inquiry", request.order_uid, response.status_code, error, started)
            raise
        log_call("inquiry", request.order_uid, response.status_code, None, started)
        return charge

    async def check_status(self, order_uid: str) -> GatewayStatus:
        """Duitku's account of `order_uid` (transactionStatus), retried on transient failures.

        00 → PAID, 01 → PENDING, 02 → FAILED (cancelled or expired), "not found" → NOT_FOUND.
        After `config.status_retries` attempts the last GatewayUnavailable/GatewayTimeout is
        raised; a rejection (4xx) or an unreadable answer is raised at once.
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
                return await self._check_status_once(order_uid)
        raise AssertionError("tenacity ended without a result or an error")  # pragma: no cover

    async def check_status_once(self, order_uid: str) -> GatewayStatus:
        """One transactionStatus request, never retried; the caller bounds how long it waits."""
        return await self._check_status_once(order_uid)

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification:
        """Check a callback's form fields (API.md §7.2) and turn them into a notification.

        Empty fields count as missing and unknown fields are ignored. Raises
        InvalidNotification when a required field is missing or malformed, and
        NotificationRejected when the merchant code or the signature is wrong; legacy MD5
        signatures verify only when `config.callback_accept_md5` is set.
        """
        started = time.perf_counter()
        order_id = present_fields(fields).get("merchantOrderId")
        try:
            notification = verify_callback(
                fields,
                merchant_code=self._config.merchant_code,
                api_key=self._config.api_key,
                accept_md5=self._config.callback_accept_md5,
            )
        except (InvalidNotification, NotificationRejected) as error:
            log_call("callback", order_id, None, error, started)
            raise
        log_call(
            "callback",
            order_id,
            None,
            None,
            started,
            scheme=notification.signature_scheme,
            result_code=repr(notification.result_code[:8]),
        )
        return notification

    async def _check_status_once(self, order_uid: str) -> GatewayStatus:
        config = self._config
        body = StatusRequest(
            merchant_code=config.merchant_code,
            merchant_order_id=order_uid,
            signature=status_signature(
                config.merchant_code, order_uid, config.api_key, config.signature_scheme
            ),
        )
        started = time.perf_counter()
        response = await self._post("transactionStatus", STATUS_PATH, body, order_uid, started)
        try:
            status = _interpret_status(response, order_uid)
        except GatewayError as error:
            log_call("transactionStatus", order_uid, response.status_code, error, started)
            raise
        log_call(
            "transactionStatus", order_uid, response.status_code, None, started, state=status.state
        )
        return status

    async def _post(
        self,
        operation: str,
        path: str,
        body: InquiryRequest | StatusRequest,
        order_id: str,
        started: float,
    ) -> httpx.Response:
        try:
            return await post_json(
                self._client,
                self._config.endpoint(path),
                body,
                operation=operation,
                total_timeout=self._config.total_timeout,
            )
        except GatewayError as error:
            log_call(operation, order_id, None, error, started)
            raise


def _interpret_inquiry(response: httpx.Response, config: DuitkuConfig) -> QrisCharge:
    if response.status_code != httpx.codes.OK:
        raise http_error(response, "Duitku refused the QRIS request (inquiry)")
    answer = decode_json(response, InquiryResponse)
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


def _interpret_status(response: httpx.Response, order_uid: str) -> GatewayStatus:
    if response.status_code != httpx.codes.OK:
        # The HTTP code for an unknown merchantOrderId is undocumented (API.md §9).
        if 400 <= response.status_code < 500 and _says_not_found(error_message(response)):
            return GatewayStatus(order_uid, GatewayPaymentState.NOT_FOUND)
        raise http_error(response, "Duitku refused the status request (transactionStatus)")
    answer = decode_json(response, StatusResponse)
    state = _STATUS_STATES.get(answer.status_code or "")
    if state is None:
        if _says_not_found(answer.status_message):
            return GatewayStatus(order_uid, GatewayPaymentState.NOT_FOUND)
        raise UnexpectedAnswer(
            "Duitku answered transactionStatus with an unknown status",
            detail=f"statusCode {str(answer.status_code)[:10]!r}",
        )
    if answer.merchant_order_id and answer.merchant_order_id != order_uid:
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
        order_uid=order_uid,
        state=state,
        amount=amount,
        gateway_reference=answer.reference or None,
    )


def _says_not_found(message: str | None) -> bool:
    if not message:
        return False
    return bool(_NOT_FOUND.search(message)) and not _MERCHANT_NOT_FOUND.search(message)


def _phone_digits(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = "".join(char for char in phone if "0" <= char <= "9")[:_MAX_PHONE]
    return digits or None


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, UnexpectedAnswer):
        return False
    return isinstance(error, GatewayUnavailable | GatewayTimeout)
