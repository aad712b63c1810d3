"""Verifying and parsing Duitku callbacks (API.md §7): the form fields Duitku POSTs."""

import re
import time
from collections.abc import Mapping

import msgspec

from adapters.duitku.amounts import parse_whole_rupiah
from adapters.duitku.config import CallbackSignatures
from adapters.duitku.notification_fields import NOTIFICATION_FIELDS
from adapters.duitku.personal_data import PERSONAL_DATA_FIELDS
from adapters.duitku.schemas import NotificationFields
from adapters.duitku.signature import verify_notification_signature
from adapters.duitku.transport import log_call
from application.errors import InvalidNotification, NotificationRejected
from application.gateway import NotificationResult, PaymentNotification, ReceivedNotification
from application.inbox import bounded_fields, masked_fields

REQUIRED_FIELDS = ("merchantCode", "amount", "merchantOrderId", "signature", "resultCode")
MAX_STORED_ORDER_ID = 64  # Duitku's limit is 50: longer is junk, still kept for the trail
MAX_STORED_SIGNATURE = 128  # a SHA-256 hex digest is 64

_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{64}", re.ASCII)
# API docs say 01 = failed, POP docs say 02 = failed; neither is ever "paid".
_RESULT_CODES = {
    "00": NotificationResult.SUCCESS,
    "01": NotificationResult.FAILED,
    "02": NotificationResult.FAILED,
}


def present_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """The fields with a non-blank value: Duitku sends absent optional fields as ''."""
    return {name: value for name, value in fields.items() if value.strip()}


def read_callback(fields: Mapping[str, str]) -> ReceivedNotification:
    """What kasir stores of a Duitku callback before verifying it (API.md §7.2): the
    merchantOrderId and signature it names, its fields with the payer's details masked, and
    what a rejected one keeps (Duitku's own field names only, bounded)."""
    masked = masked_fields(fields, PERSONAL_DATA_FIELDS)
    return ReceivedNotification(
        attempt_id=(fields.get("merchantOrderId") or "")[:MAX_STORED_ORDER_ID] or None,
        signature=(fields.get("signature") or "")[:MAX_STORED_SIGNATURE] or None,
        fields=masked,
        fields_if_rejected=bounded_fields(masked, NOTIFICATION_FIELDS),
    )


class DuitkuNotificationVerifier:
    """Verifies Duitku callbacks: the one production code path for every gateway that signs
    its notifications the Duitku way (the Duitku adapter, and the fake gateway in tests).

    Logs each callback with the signature scheme that verified it (logger `kasir.duitku`).
    The API key is kept out of repr().
    """

    def __init__(
        self, *, merchant_code: str, api_key: str, accepted: CallbackSignatures = "both"
    ) -> None:
        self._merchant_code = merchant_code
        self._api_key = api_key
        self._accepted = accepted

    def __repr__(self) -> str:
        return (
            f"DuitkuNotificationVerifier(merchant_code={self._merchant_code!r}, "
            f"accepted={self._accepted!r})"
        )

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification:
        return read_callback(fields)

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification:
        """Check a callback's form fields (API.md §7.2) and turn them into a notification.

        Raises InvalidNotification (missing or malformed field) or NotificationRejected
        (another merchant, a signature that verifies with no accepted scheme).
        """
        started = time.perf_counter()
        order_id = present_fields(fields).get("merchantOrderId")
        try:
            notification = verify_notification_fields(
                fields,
                merchant_code=self._merchant_code,
                api_key=self._api_key,
                accepted=self._accepted,
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


def verify_notification_fields(
    fields: Mapping[str, str],
    *,
    merchant_code: str,
    api_key: str,
    accepted: CallbackSignatures = "both",
) -> PaymentNotification:
    """Check a callback and turn it into a PaymentNotification.

    Structure first (InvalidNotification: a required field missing or empty, an amount that
    is not whole rupiah, a signature that is not a hex digest), then authenticity
    (NotificationRejected: another merchant code, a signature that verifies with none of the
    `accepted` schemes: HMAC first, then legacy MD5). Unknown fields are ignored.
    """
    present = present_fields(fields)
    missing = [name for name in REQUIRED_FIELDS if name not in present]
    if missing:
        raise InvalidNotification(f"Duitku notification is missing {', '.join(missing)}")
    try:
        callback = msgspec.convert(present, NotificationFields)
    except msgspec.ValidationError as exc:
        raise InvalidNotification(f"Duitku notification is malformed: {exc}") from exc
    try:
        amount = parse_whole_rupiah(callback.amount)
    except ValueError as exc:
        raise InvalidNotification(
            "Duitku notification amount is not a whole number of rupiah"
        ) from exc
    if not _HEX_SIGNATURE.fullmatch(callback.signature):
        raise InvalidNotification("Duitku notification signature is not a hex digest")
    if callback.merchant_code != merchant_code:
        raise NotificationRejected("Duitku notification is for another merchant")
    scheme = verify_notification_signature(
        merchant_code=callback.merchant_code,
        amount=callback.amount,  # signed exactly as received, never re-rendered
        merchant_order_id=callback.merchant_order_id,
        signature=callback.signature,
        api_key=api_key,
        accepted=accepted,
    )
    if scheme is None:
        raise NotificationRejected("Duitku notification signature does not verify")
    return PaymentNotification(
        attempt_id=callback.merchant_order_id,
        amount=amount,
        result=_RESULT_CODES.get(callback.result_code, NotificationResult.OTHER),
        result_code=callback.result_code,
        gateway_reference=callback.reference,
        signature_scheme=scheme,
    )
