"""Who is calling: staff by bearer token, customers by their order's access token.

This module authenticates only; the use cases authorize (application.callers).
"""

import hashlib
import hmac

from litestar.exceptions import NotAuthorizedException

from application.callers import Anonymous, Caller, OrderTokenHolder, Staff
from application.use_cases.sign_in import IdentifySession
from entrypoints.settings import StaffToken

ORDER_TOKEN_HEADER = "X-Order-Token"  # noqa: S105 - a header name

# OpenAPI security requirements of the operations (schemes declared in app.py).
STAFF_ONLY: list[dict[str, list[str]]] = [{"StaffToken": []}]
STAFF_OR_ORDER_TOKEN: list[dict[str, list[str]]] = [{"StaffToken": []}, {"OrderToken": []}]
MAX_TOKEN_LENGTH = 512  # longer than any token kasir hands out or accepts


class StaffAuthenticator:
    """Checks `Authorization: Bearer <token>`: a machine's API token (KASIR_STAFF_TOKENS) or a
    staff member's session token (POST /api/v1/auth/login).

    API tokens are compared as SHA-256 digests with `hmac.compare_digest`, against every known
    token without stopping early, so timing reveals neither a token nor which one was close.
    A session token is looked up by its SHA-256 hash (the database never holds the token); the
    account is read with it, so a deactivation or a role change applies to the next request.
    """

    def __init__(self, tokens: tuple[StaffToken, ...], sessions: IdentifySession) -> None:
        self._digests = [
            (token.name, token.role, _digest(token.token.get_secret_value())) for token in tokens
        ]
        self._sessions = sessions

    def __repr__(self) -> str:
        return f"StaffAuthenticator(api_tokens={[name for name, _, _ in self._digests]!r})"

    async def identify(self, authorization: str | None) -> Staff | None:
        """The staff member the header belongs to, or None."""
        token = bearer_token(authorization)
        if token is None:
            return None
        presented = _digest(token)
        found: Staff | None = None
        for name, role, digest in self._digests:
            if hmac.compare_digest(presented, digest):
                found = Staff(name, role)
        if found is not None:
            return found
        return await self._sessions.execute(token)

    async def require(self, authorization: str | None) -> Staff:
        staff = await self.identify(authorization)
        if staff is None:
            raise NotAuthorizedException(
                "a valid staff token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        return staff


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token.strip()


def order_caller(staff: Staff | None, order_token: str | None) -> Caller:
    """Staff, else the holder of the presented order token, else nobody known."""
    if staff is not None:
        return staff
    if order_token:
        return OrderTokenHolder.presenting(order_token)
    return Anonymous()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
