"""Reading and verifying Midtrans's JSON notifications (docs: receiving notifications)."""

import logging
import re
from collections.abc import Mapping

import msgspec

from adapters.midtrans.amounts import parse_gross_amount
from adapters.midtrans.schemas import NotificationBody
from adapters.midtrans.signature import signature_matches
from adapters.midtrans.states import notification_result
from application.errors import InvalidNotification, NotificationRejected
from application.gateway import PaymentNotification, ReceivedNotification
from application.inbox import bounded_fields, masked_fields

REQUIRED_FIELDS = ("order_id", "status_code", "gross_amount", "signature_key", "transaction_status")
# Every field a QRIS notification carries; a rejected one is stored with these only.
NOTIFICATION_FIELDS = frozenset(
    {
        *REQUIRED_FIELDS,
        "transaction_time",
        "transaction_id",
        "status_message",
        "payment_type",
        "merchant_id",
        "fraud_status",
        "currency",
        "settlement_time",
        "expiry_time",
        "acquirer",
        "issuer",
        "reference_id",
        "shopeepay_reference_number",
    }
)
# QRIS notifications carry no payer name or account; nothing to mask so far.
PERSONAL_DATA_FIELDS: frozenset[str] = frozenset()
SIGNATURE_SCHEME = "sha512"
MAX_STORED_ORDER_ID = 64  # Midtrans's limit is 50: longer is junk, still kept for the trail
MAX_STORED_SIGNATURE = 160  # a SHA-512 hex digest is 128
_SHA512_HEX = re.compile(r"[0-9a-fA-F]{128}", re.ASCII)

logger = logging.getLogger("kasir.midtrans")


class MidtransNotificationVerifier:
    """Verifies Midtrans notifications with the server key; the key is kept out of repr()."""

    def __init__(self, *, server_key: str) -> None:
        self._server_key = server_key

    def __repr__(self) -> str:
        return "MidtransNotificationVerifier(server_key='***')"

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification:
        """The order_id and signature_key it names and its fields, before verification."""
        masked = masked_fields(fields, PERSONAL_DATA_FIELDS)
        return ReceivedNotification(
            attempt_id=(fields.get("order_id") or "")[:MAX_STORED_ORDER_ID] or None,
            signature=(fields.get("signature_key") or "")[:MAX_STORED_SIGNATURE] or None,
            fields=masked,
            fields_if_rejected=bounded_fields(masked, NOTIFICATION_FIELDS),
        )

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification:
        """Structure first (InvalidNotification: a required field missing or blank, an amount
        that is not whole rupiah, a signature that is not a SHA-512 hex digest), then the
        signature (NotificationRejected), compared in constant time. Unknown fields are
        ignored. A verified notification is a trigger only: the status call confirms it."""
        present = {name: value for name, value in fields.items() if value.strip()}
        missing = [name for name in REQUIRED_FIELDS if name not in present]
        if missing:
            raise InvalidNotification(f"Midtrans notification is missing {', '.join(missing)}")
        try:
            body = msgspec.convert(present, NotificationBody)
        except msgspec.ValidationError as exc:
            raise InvalidNotification(f"Midtrans notification is malformed: {exc}") from exc
        try:
            amount = parse_gross_amount(body.gross_amount)
        except ValueError as exc:
            raise InvalidNotification(
                "Midtrans notification amount is not a whole number of rupiah"
            ) from exc
        if not _SHA512_HEX.fullmatch(body.signature_key):
            raise InvalidNotification("Midtrans notification signature is not a SHA-512 digest")
        if not signature_matches(
            body.signature_key,
            order_id=body.order_id,
            status_code=body.status_code,
            gross_amount=body.gross_amount,  # signed exactly as received, never re-rendered
            server_key=self._server_key,
        ):
            logger.warning(
                "midtrans notification for %r: signature does not verify",
                body.order_id[:MAX_STORED_ORDER_ID],
            )
            raise NotificationRejected("Midtrans notification signature does not verify")
        return PaymentNotification(
            attempt_id=body.order_id,
            amount=amount,
            result=notification_result(body.transaction_status, body.fraud_status),
            result_code=body.transaction_status[:32],
            gateway_reference=body.transaction_id,
            signature_scheme=SIGNATURE_SCHEME,
        )
