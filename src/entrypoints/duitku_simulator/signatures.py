"""Duitku v2 signatures, implemented independently of ``adapters.duitku``.

The simulator deliberately does not reuse the production adapter's code: if one of the two
gets a formula wrong, the tests that make them talk to each other fail (API.md §3).
"""

import hashlib
import hmac

from entrypoints.duitku_simulator.config import CallbackSignatureScheme, RequestSignatures


def hmac_sha256_hex(message: str, api_key: str) -> str:
    """Current scheme (API.md §3.3): HMAC-SHA256 keyed with the API key, lowercase hex."""
    return hmac.new(api_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def legacy_md5_hex(message: str, api_key: str) -> str:
    """Legacy scheme (API.md §3.2): MD5 of the message with the API key appended."""
    return hashlib.md5((message + api_key).encode(), usedforsecurity=False).hexdigest()


def inquiry_message(merchant_code: str, merchant_order_id: str, payment_amount: int) -> str:
    """What a v2 inquiry signs: ``merchantCode + merchantOrderId + paymentAmount``."""
    return f"{merchant_code}{merchant_order_id}{payment_amount}"


def status_message(merchant_code: str, merchant_order_id: str) -> str:
    """What a transactionStatus request signs: ``merchantCode + merchantOrderId``."""
    return f"{merchant_code}{merchant_order_id}"


def callback_message(merchant_code: str, amount: str, merchant_order_id: str) -> str:
    """What a callback signs: ``merchantCode + amount + merchantOrderId`` (amount as sent)."""
    return f"{merchant_code}{amount}{merchant_order_id}"


def sign(message: str, api_key: str, scheme: CallbackSignatureScheme) -> str:
    """Sign ``message`` with the given scheme."""
    if scheme == "md5":
        return legacy_md5_hex(message, api_key)
    return hmac_sha256_hex(message, api_key)


def matching_scheme(
    received: str, message: str, api_key: str, *, accepted: RequestSignatures = "both"
) -> CallbackSignatureScheme | None:
    """Return which accepted scheme produced ``received`` for ``message``, or None.

    Comparison is constant-time and exact: Duitku documents lowercase hex, so an
    upper-case signature is a client bug the simulator should surface.
    """
    received_bytes = received.encode()
    schemes: tuple[CallbackSignatureScheme, ...] = (
        ("hmac", "md5") if accepted == "both" else (accepted,)
    )
    for scheme in schemes:
        if hmac.compare_digest(received_bytes, sign(message, api_key, scheme).encode()):
            return scheme
    return None
