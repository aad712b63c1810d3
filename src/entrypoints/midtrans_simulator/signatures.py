"""The simulator's own reading of Midtrans's signatures and authentication (it never imports
`adapters.midtrans`, so the adapter is tested against a second, independent implementation)."""

import base64
import binascii
import hashlib
import hmac


def signature_key(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """SHA-512 (hex) of order_id + status_code + gross_amount + server key."""
    return hashlib.sha512((order_id + status_code + gross_amount + server_key).encode()).hexdigest()


def basic_auth_matches(header: str | None, server_key: str) -> bool:
    """Whether an Authorization header is Basic with the server key and an empty password."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    username, _, _password = decoded.partition(":")
    return hmac.compare_digest(username.encode(), server_key.encode())
