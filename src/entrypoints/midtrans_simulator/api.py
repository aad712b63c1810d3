"""Midtrans's Core API as the simulator answers it: QRIS charge, get status, cancel."""

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec

from entrypoints.duitku_simulator.qris_payload import QrisMerchant, build_dynamic_qris
from entrypoints.midtrans_simulator.config import MidtransSimulatorConfig
from entrypoints.midtrans_simulator.signatures import basic_auth_matches
from entrypoints.midtrans_simulator.store import (
    CANCEL,
    PENDING,
    STATUS_CODES,
    Transaction,
    TransactionStore,
)

WIB = timezone(timedelta(hours=7), "WIB")
NOTIFICATION_HEADER = "x-override-notification"
_ORDER_ID = re.compile(r"[A-Za-z0-9._~-]{1,50}")
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True, slots=True)
class ApiReply:
    """An HTTP status and a JSON body, as Midtrans would send them."""

    http_status: int
    body: dict[str, Any]

    @classmethod
    def error(cls, code: int, message: str, **extra: Any) -> "ApiReply":
        return cls(code, {"status_code": str(code), "status_message": message, **extra})


def midtrans_time(moment: datetime) -> str:
    """Midtrans's timestamps: Jakarta local time, `YYYY-MM-DD HH:MM:SS`."""
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")


def transaction_body(config: MidtransSimulatorConfig, transaction: Transaction) -> dict[str, Any]:
    """The fields a status answer (and a notification) reports about a transaction."""
    body: dict[str, Any] = {
        "status_code": STATUS_CODES[transaction.status],
        "transaction_id": transaction.transaction_id,
        "order_id": transaction.order_id,
        "merchant_id": config.merchant_id,
        "gross_amount": transaction.reported_amount,
        "currency": "IDR",
        "payment_type": "qris",
        "transaction_time": midtrans_time(transaction.created_at),
        "transaction_status": transaction.status,
        "fraud_status": transaction.fraud_status,
        "acquirer": transaction.acquirer,
        "expiry_time": midtrans_time(transaction.expires_at),
    }
    if transaction.settled_at is not None:
        body["settlement_time"] = midtrans_time(transaction.settled_at)
    return body


class MidtransApi:
    """Stateless handlers over one store; every answer is an ApiReply."""

    def __init__(
        self,
        config: MidtransSimulatorConfig,
        store: TransactionStore,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._merchant = QrisMerchant(
            config.merchant_name, config.merchant_city, config.qris_merchant_id
        )

    def authenticated(self, authorization: str | None) -> ApiReply | None:
        """None when the server key is right; Midtrans's 401 otherwise."""
        if basic_auth_matches(authorization, self._config.server_key):
            return None
        return ApiReply.error(401, "Unknown Merchant server_key/id", id=str(uuid.uuid4()))

    def charge(self, body: bytes, headers: Mapping[str, str]) -> ApiReply:
        """POST /v2/charge with payment_type qris."""
        try:
            request = msgspec.json.decode(body)
        except (msgspec.DecodeError, ValueError, RecursionError):
            return ApiReply.error(400, "Invalid JSON in request body")
        problems = _charge_problems(request, self._config)
        if problems:
            return ApiReply.error(
                400,
                "One or more parameters in the payload is invalid.",
                validation_messages=problems,
            )
        details = request["transaction_details"]
        now = self._clock()
        transaction_id = str(uuid.uuid4())
        transaction = Transaction(
            order_id=details["order_id"],
            transaction_id=transaction_id,
            gross_amount=details["gross_amount"],
            acquirer=_acquirer(request) or "gopay",  # validated above
            qr_string=build_dynamic_qris(
                self._merchant,
                amount=details["gross_amount"],
                reference=transaction_id.replace("-", "")[:25],
                bill_number=details["order_id"],
            ),
            notification_url=headers.get(NOTIFICATION_HEADER)
            or self._config.default_notification_url,
            created_at=now,
            expires_at=now + _expiry(request.get("custom_expiry"), self._config),
        )
        if not self._store.add(transaction):
            return ApiReply.error(
                406,
                "The request could not be completed due to a conflict with the state of "
                "the target resource: Duplicate order ID. order_id has already been utilized.",
            )
        reply = transaction_body(self._config, transaction)
        reply["status_message"] = "QRIS transaction is created"
        reply["actions"] = [
            {
                "name": "generate-qr-code",
                "method": "GET",
                "url": f"{self._config.public_base_url}/v2/qris/{transaction_id}/qr-code",
            }
        ]
        reply["qr_string"] = transaction.qr_string
        return ApiReply(200, reply)

    def status(self, order_id: str) -> ApiReply:
        """GET /v2/{order_id or transaction_id}/status."""
        transaction = self._store.get(order_id, now=self._clock())
        if transaction is None:
            return ApiReply.error(404, "Transaction doesn't exist.", id=str(uuid.uuid4()))
        body = transaction_body(self._config, transaction)
        body["status_message"] = "Success, transaction is found"
        return ApiReply(200, body)

    def cancel(self, order_id: str) -> ApiReply:
        """POST /v2/{id}/cancel: only a pending transaction may be cancelled."""
        transaction = self._store.get(order_id, now=self._clock())
        if transaction is None:
            return ApiReply.error(404, "Transaction doesn't exist.", id=str(uuid.uuid4()))
        if transaction.status != PENDING:
            return ApiReply.error(412, "Merchant cannot modify the status of the transaction")
        transaction.status = CANCEL
        body = transaction_body(self._config, transaction)
        body["status_message"] = "Success, transaction is canceled"
        return ApiReply(200, body)


def _acquirer(request: dict[str, Any]) -> str | None:
    """The requested QRIS acquirer (gopay when none is named); None when malformed."""
    options = request.get("qris")
    if options is None:
        return "gopay"
    acquirer = options.get("acquirer", "gopay") if isinstance(options, dict) else None
    return acquirer if isinstance(acquirer, str) else None


def _expiry(custom: Any, config: MidtransSimulatorConfig) -> timedelta:
    if isinstance(custom, dict):
        duration, unit = custom.get("expiry_duration"), custom.get("unit", "minute")
        if type(duration) is int and duration > 0 and unit in _UNITS:
            return timedelta(seconds=duration * _UNITS[unit])
    return timedelta(minutes=config.default_expiry_minutes)


def _charge_problems(request: Any, config: MidtransSimulatorConfig) -> list[str]:
    if not isinstance(request, dict):
        return ["the body must be a JSON object"]
    problems = []
    if request.get("payment_type") != "qris":
        problems.append("payment_type is not supported by this simulator (qris only)")
    details = request.get("transaction_details")
    if not isinstance(details, dict):
        return [*problems, "transaction_details is required"]
    order_id, amount = details.get("order_id"), details.get("gross_amount")
    if not isinstance(order_id, str) or not _ORDER_ID.fullmatch(order_id):
        problems.append("transaction_details.order_id is invalid")
    # Midtrans takes whole rupiah only: "Do not add decimal".
    if type(amount) is not int:
        problems.append("transaction_details.gross_amount must be an integer")
    elif not config.minimum_amount <= amount <= config.maximum_amount:
        problems.append("transaction_details.gross_amount is out of range")
    if _acquirer(request) not in config.acquirers:
        problems.append("qris.acquirer is not supported")
    return problems
