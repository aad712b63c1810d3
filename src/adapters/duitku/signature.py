"""Duitku signature recipes (API.md §3): current HMAC-SHA256 and legacy MD5.

Every recipe concatenates its fields without separators in Duitku's order. The current scheme
is `HMAC_SHA256(key=apiKey, message=stringToSign)`; the legacy one is
`MD5(stringToSign + apiKey)`. Both give lowercase hex. Pure functions, no I/O.
"""

import hashlib
import hmac

from adapters.duitku.config import CallbackSignatures, SignatureScheme


def hmac_sha256_hex(string_to_sign: str, api_key: str) -> str:
    """The current Duitku signature of `string_to_sign`: lowercase hex HMAC-SHA256."""
    return hmac.new(api_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def md5_legacy_hex(string_to_sign: str, api_key: str) -> str:
    """The legacy Duitku signature: lowercase hex MD5 of `string_to_sign + api_key`."""
    # MD5 is what Duitku's legacy protocol prescribes, and what every official Duitku library
    # still signs and verifies with (interop.md): kasir speaks it where Duitku may.
    return hashlib.md5((string_to_sign + api_key).encode()).hexdigest()  # noqa: S324


def _sign(string_to_sign: str, api_key: str, scheme: SignatureScheme) -> str:
    if scheme == "md5":
        return md5_legacy_hex(string_to_sign, api_key)
    return hmac_sha256_hex(string_to_sign, api_key)


def inquiry_string_to_sign(merchant_code: str, merchant_order_id: str, payment_amount: int) -> str:
    """v2 inquiry: `merchantCode + merchantOrderId + paymentAmount`."""
    return f"{merchant_code}{merchant_order_id}{payment_amount}"


def status_string_to_sign(merchant_code: str, merchant_order_id: str) -> str:
    """transactionStatus: `merchantCode + merchantOrderId`."""
    return f"{merchant_code}{merchant_order_id}"


def callback_string_to_sign(merchant_code: str, amount: str, merchant_order_id: str) -> str:
    """Callback: `merchantCode + amount + merchantOrderId`, `amount` exactly as received."""
    return f"{merchant_code}{amount}{merchant_order_id}"


def inquiry_signature(
    merchant_code: str,
    merchant_order_id: str,
    payment_amount: int,
    api_key: str,
    scheme: SignatureScheme = "hmac",
) -> str:
    """Signature of a v2 inquiry request body."""
    return _sign(
        inquiry_string_to_sign(merchant_code, merchant_order_id, payment_amount), api_key, scheme
    )


def status_signature(
    merchant_code: str, merchant_order_id: str, api_key: str, scheme: SignatureScheme = "hmac"
) -> str:
    """Signature of a transactionStatus request body."""
    return _sign(status_string_to_sign(merchant_code, merchant_order_id), api_key, scheme)


def callback_signature(
    merchant_code: str,
    amount: str,
    merchant_order_id: str,
    api_key: str,
    scheme: SignatureScheme = "hmac",
) -> str:
    """Signature Duitku puts on a callback (used to verify, and by simulators to sign)."""
    return _sign(callback_string_to_sign(merchant_code, amount, merchant_order_id), api_key, scheme)


def verify_notification_signature(
    *,
    merchant_code: str,
    amount: str,
    merchant_order_id: str,
    signature: str,
    api_key: str,
    accepted: CallbackSignatures = "both",
) -> SignatureScheme | None:
    """Which scheme signed this callback, trying HMAC first and then MD5; None if neither.

    `accepted` narrows the schemes tried ("hmac" or "md5" alone). Compares in constant time.
    Hex case is ignored because it carries no information.
    """
    received = signature.lower().encode()
    string_to_sign = callback_string_to_sign(merchant_code, amount, merchant_order_id)
    schemes: tuple[SignatureScheme, ...] = ("hmac", "md5") if accepted == "both" else (accepted,)
    for scheme in schemes:
        if hmac.compare_digest(_sign(string_to_sign, api_key, scheme).encode(), received):
            return scheme
    return None
