"""Order access tokens are stored only as hashes, so a database leak reveals no usable token."""

import hashlib
import hmac


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Constant-time check of a presented token against the stored hash."""
    return hmac.compare_digest(hash_token(token), token_hash)
