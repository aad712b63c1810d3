"""Midtrans's notification signature: SHA-512 hex of order_id + status_code + gross_amount +
server key, compared in constant time."""

import hashlib
import hmac


def notification_signature(
    order_id: str, status_code: str, gross_amount: str, server_key: str
) -> str:
    """The `signature_key` Midtrans sends; `gross_amount` exactly as received ("70000.00")."""
    message = f"{order_id}{status_code}{gross_amount}{server_key}"
    return hashlib.sha512(message.encode()).hexdigest()


def signature_matches(
    signature: str, *, order_id: str, status_code: str, gross_amount: str, server_key: str
) -> bool:
    """Whether `signature` is the one Midtrans computes; case-insensitive hex, constant time."""
    expected = notification_signature(order_id, status_code, gross_amount, server_key)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
