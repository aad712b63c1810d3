"""The two Duitku v2 endpoints the simulator speaks: inquiry and transactionStatus.

Framework-free on purpose: it takes the raw body and returns status + JSON body, so the
validation order and error texts (API.md §5.3, §9) can be read in one place.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import parse_qs, quote

import msgspec

from entrypoints.duitku_simulator.config import SimulatorConfig
from entrypoints.duitku_simulator.identifiers import new_reference
from entrypoints.duitku_simulator.qris_payload import QrisMerchant, build_dynamic_qris
from entrypoints.duitku_simulator.signatures import (
    inquiry_message,
    matching_scheme,
    status_message,
)
from entrypoints.duitku_simulator.store import (
    DuplicateOrderError,
    Transaction,
    TransactionState,
    TransactionStore,
)

# ASP.NET Web API's wording for a body it cannot bind; Duitku runs on ASP.NET.
INVALID_REQUEST = "The request is invalid."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_ORDER_ID = 50
_MAX_EMAIL = 50
_MAX_PHONE = 50
_MAX_QRIS_AMOUNT_DIGITS = 13
# What ASP.NET's JSON binding takes for an integer field given as a string ("1440",
# " 10000 "): optional surrounding whitespace and sign, ASCII digits. "10000.00" is refused.
_INTEGER_STRING = re.compile(r"\s*[+-]?[0-9]{1,18}\s*", re.ASCII)
_STATUS_BY_STATE = {
    TransactionState.PAID: ("00", "SUCCESS"),
    TransactionState.PENDING: ("01", "PROCESS"),
    TransactionState.FAILED: ("02", "FAILED"),
    TransactionState.EXPIRED: ("02", "EXPIRED"),
}


@dataclass(frozen=True, slots=True)
class ApiReply:
    """An HTTP status and the JSON object to send with it."""

    status_code: int
    body: dict[str, str]

    @classmethod
    def error(cls, status_code: int, message: str) -> "ApiReply":
        """Duitku's error shape: ``{"Message": ...}`` with a capital M."""
        return cls(status_code, {"Message": message})


class InquiryRequest(msgspec.Struct, rename="camel"):
    """Body of ``POST /webapi/api/merchant/v2/inquiry``; unknown fields are ignored.

    Every field is optional at the decoding level so that a missing one produces Duitku's
    ``... is mandatory`` message instead of a generic decoding error. The integer fields
    also come as numeric strings from real clients (Duitku's WooCommerce plugin sends
    ``"expiryPeriod": "1440"``), which Duitku accepts; ``_integer`` reads both.
    """

    merchant_code: str | None = None
    payment_amount: int | str | None = None
    payment_method: str | None = None
    merchant_order_id: str | int | None = None
    product_details: str | None = None
    email: str | None = None
    customer_va_name: str | None = None
    phone_number: str | None = None
    callback_url: str | None = None
    return_url: str | None = None
    expiry_period: int | str | None = None
    additional_param: str | None = None
    merchant_user_info: str | None = None
    signature: str | None = None


class StatusRequest(msgspec.Struct, rename="camel"):
    """Body of ``POST /webapi/api/merchant/transactionStatus``."""

    merchant_code: str | None = None
    merchant_order_id: str | None = None
    signature: str | None = None


RequestT = TypeVar("RequestT", InquiryRequest, StatusRequest)


class _RejectedError(Exception):
    def __init__(self, reply: ApiReply) -> None:
        super().__init__(reply.body.get("Message", ""))
        self.reply = reply


def _integer(value: int | str | None) -> int | None:
    """An integer field's value, whether sent as a JSON number or a numeric string."""
    if value is None or isinstance(value, int):
        return value
    if not value.strip():
        return None  # a blank value binds like an absent one
    if not _INTEGER_STRING.fullmatch(value):
        raise _RejectedError(ApiReply.error(400, INVALID_REQUEST))
    return int(value)


def _with_integers(request: InquiryRequest) -> InquiryRequest:
    """The request with numeric strings in its integer fields read as integers, and a
    numeric ``merchantOrderId`` (the SDK's examples send ``time()``) read as its digits."""
    order_id = request.merchant_order_id
    return msgspec.structs.replace(
        request,
        payment_amount=_integer(request.payment_amount),
        expiry_period=_integer(request.expiry_period),
        merchant_order_id=str(order_id) if isinstance(order_id, int) else order_id,
    )


def _decode_json(body: bytes, model: type[RequestT]) -> RequestT:
    # An empty body binds like an empty object: an SDK's sandbox test saw 401 for it.
    if not body.strip():
        return model()
    try:
        return msgspec.json.decode(body, type=model)
    except (
        msgspec.DecodeError,
        msgspec.ValidationError,
        UnicodeDecodeError,  # invalid UTF-8 inside a string
        RecursionError,  # thousands of nested brackets
    ) as error:
        raise _RejectedError(ApiReply.error(400, INVALID_REQUEST)) from error


class DuitkuApi:
    """Duitku's v2 inquiry and transactionStatus behaviour over an in-memory store."""

    def __init__(
        self,
        config: SimulatorConfig,
        store: TransactionStore,
        *,
        clock: Callable[[], datetime],
        new_reference: Callable[[str], str] = new_reference,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._new_reference = new_reference
        self._qris_merchant = QrisMerchant(
            name=config.merchant_name,
            city=config.merchant_city,
            merchant_id=config.qris_merchant_id,
            category_code=config.merchant_category_code,
        )

    def payment_url(self, reference: str) -> str:
        """Duitku's hosted payment page for a reference, under the simulator's base URL."""
        base = self._config.public_base_url.rstrip("/")
        return f"{base}/topup/topupdirectv2.aspx?ref={quote(reference)}"

    def inquiry(self, body: bytes) -> ApiReply:
        """Create a transaction or reject the request the way Duitku would."""
        try:
            return self._inquiry(_with_integers(_decode_json(body, InquiryRequest)))
        except _RejectedError as rejected:
            return rejected.reply

    def transaction_status(self, body: bytes, content_type: str) -> ApiReply:
        """Report a transaction's status; JSON or form bodies, as both work on Duitku (§9)."""
        try:
            return self._transaction_status(_decode_status_request(body, content_type))
        except _RejectedError as rejected:
            return rejected.reply

    def _inquiry(self, request: InquiryRequest) -> ApiReply:
        # Order of checks: presence of a signature first (an empty body gets 401 on
        # Duitku), then field rules, then merchant, signature, amount, channel, duplicate.
        rejection = (
            _missing_or_malformed_field(request)
            or self._unknown_merchant_or_bad_signature(request)
            or self._amount_or_channel_refused(request)
        )
        if rejection is not None:
            return rejection
        merchant_code = request.merchant_code or ""
        order_id = _order_id(request)
        payment_method = request.payment_method or ""
        try:
            transaction = self._create(request, merchant_code, order_id, payment_method)
        except DuplicateOrderError:
            return ApiReply.error(self._config.duplicate_order_status, "Duplicate merchantOrderId")
        return ApiReply(
            200,
            {
                "merchantCode": transaction.merchant_code,
                "reference": transaction.reference,
                "paymentUrl": transaction.payment_url,
                "vaNumber": "",
                "qrString": transaction.qr_string,
                "amount": str(transaction.amount),
                "statusCode": "00",
                "statusMessage": "SUCCESS",
            },
        )

    def _unknown_merchant_or_bad_signature(self, request: InquiryRequest) -> ApiReply | None:
        merchant_code = request.merchant_code or ""
        if merchant_code != self._config.merchant_code:
            return ApiReply.error(404, "Merchant not found")
        message = inquiry_message(merchant_code, _order_id(request), _amount(request))
        if not self._signature_ok(request.signature or "", message):
            return ApiReply.error(401, "Wrong signature")
        return None

    def _amount_or_channel_refused(self, request: InquiryRequest) -> ApiReply | None:
        amount = _amount(request)
        if amount < self._config.minimum_amount:
            return ApiReply.error(400, f"Minimum Payment {self._config.minimum_amount} IDR")
        maximum = self._config.maximum_amount
        # QRIS tag 54 carries at most 13 characters, whatever the configured maximum.
        too_long_for_qris = len(str(amount)) > _MAX_QRIS_AMOUNT_DIGITS
        if too_long_for_qris or (maximum is not None and amount > maximum):
            return ApiReply.error(400, "Maximum Payment exceeded")
        if (request.payment_method or "") not in self._config.enabled_methods:
            return ApiReply.error(404, "Payment channel not available")
        return None

    def _create(
        self, request: InquiryRequest, merchant_code: str, order_id: str, payment_method: str
    ) -> Transaction:
        now = self._clock()
        reference = self._new_reference(merchant_code)
        while self._store.has_reference(reference):
            reference = self._new_reference(merchant_code)
        amount = _amount(request)
        expiry_minutes = _integer(request.expiry_period) or 0
        if expiry_minutes <= 0:
            expiry_minutes = self._config.default_expiry_minutes
        transaction = Transaction(
            merchant_code=merchant_code,
            merchant_order_id=order_id,
            reference=reference,
            amount=amount,
            payment_method=payment_method,
            product_details=request.product_details or "",
            email=request.email or "",
            customer_va_name=request.customer_va_name or "",
            phone_number=request.phone_number or "",
            callback_url=request.callback_url or "",
            return_url=request.return_url or "",
            additional_param=request.additional_param or "",
            merchant_user_info=request.merchant_user_info or "",
            qr_string=build_dynamic_qris(
                self._qris_merchant, amount=amount, reference=reference, bill_number=order_id
            ),
            payment_url=self.payment_url(reference),
            created_at=now,
            expires_at=now + timedelta(minutes=expiry_minutes),
        )
        self._store.add(transaction)
        return transaction

    def _transaction_status(self, request: StatusRequest) -> ApiReply:
        if not request.signature:
            return ApiReply.error(401, "Wrong signature")
        order_id = request.merchant_order_id or ""
        if not order_id:
            return ApiReply.error(400, "merchantOrderId is mandatory")
        merchant_code = request.merchant_code or ""
        if merchant_code != self._config.merchant_code:
            return ApiReply.error(404, "Merchant not found")
        if not self._signature_ok(request.signature, status_message(merchant_code, order_id)):
            return ApiReply.error(401, "Wrong signature")
        transaction = self._store.get(order_id, now=self._clock())
        if transaction is None:
            return ApiReply.error(self._config.not_found_status, "Transaction not found")
        status_code, status_message_text = _STATUS_BY_STATE[transaction.state]
        return ApiReply(
            200,
            {
                "merchantOrderId": transaction.merchant_order_id,
                "reference": transaction.reference,
                "amount": str(transaction.reported_amount),
                "fee": "0.00",
                "statusCode": status_code,
                "statusMessage": status_message_text,
            },
        )

    def _signature_ok(self, received: str, message: str) -> bool:
        scheme = matching_scheme(
            received,
            message,
            self._config.api_key,
            accepted=self._config.request_signatures,
        )
        return scheme is not None


def _amount(request: InquiryRequest) -> int:
    """``paymentAmount`` as an integer (already normalised by ``_with_integers``)."""
    return _integer(request.payment_amount) or 0


def _order_id(request: InquiryRequest) -> str:
    """``merchantOrderId`` as text (already normalised by ``_with_integers``)."""
    return str(request.merchant_order_id or "")


def _decode_status_request(body: bytes, content_type: str) -> StatusRequest:
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return _decode_json(body, StatusRequest)
    try:
        pairs = parse_qs(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError as error:
        raise _RejectedError(ApiReply.error(400, INVALID_REQUEST)) from error
    return msgspec.convert({key: values[0] for key, values in pairs.items()}, StatusRequest)


def _missing_or_malformed_field(request: InquiryRequest) -> ApiReply | None:
    if not request.signature:
        return ApiReply.error(401, "Wrong signature")
    if request.payment_amount is None:
        return ApiReply.error(400, "paymentAmount is mandatory")
    for name, value in (
        ("paymentMethod", request.payment_method),
        ("merchantOrderId", _order_id(request)),
        ("productDetails", request.product_details),
        ("callbackUrl", request.callback_url),
        ("returnUrl", request.return_url),
    ):
        if not value:
            return ApiReply.error(400, f"{name} is mandatory")
    if len(_order_id(request)) > _MAX_ORDER_ID:
        return ApiReply.error(400, "length of merchantOrderId can't > 50")
    email = request.email or ""
    if len(email) > _MAX_EMAIL:
        return ApiReply.error(400, "length of email can't > 50")
    if not _EMAIL.match(email):
        return ApiReply.error(400, "Invalid Email Address")
    if len(request.phone_number or "") > _MAX_PHONE:
        return ApiReply.error(400, "length of phoneNumber can't > 50")
    return None
