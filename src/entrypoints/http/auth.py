"""Who is calling: staff by bearer token, customers by their order's access token.

This module authenticates only; the use cases authorize (application.callers).
"""

import hashlib
import hmac

from litestar.exceptions import NotAuthorizedException

from application.callers import Anonymous, Caller, OrderTokenHolder, Role, Staff
from entrypoints.settings import StaffToken

ORDER_TOKEN_HEADER = "X-Order-Token"  # noqa: S105 - a header name

# OpenAPI security requirements of the operations (schemes declared in app.py).
STAFF_ONLY: list[dict[str, list[str]]] = [{"StaffToken": []}]
STAFF_OR_ORDER_TOKEN: list[dict[str, list[str]]] = [{"StaffToken": []}, {"OrderToken": []}]


class StaffAuthenticator:
    """Checks `Authorization: Bearer <token>` against the configured staff tokens.

    Tokens are compared as SHA-256 digests with `hmac.compare_digest`, against every known
    token without stopping early, so timing reveals neither a token nor which one was close.
    """

    def __init__(self, tokens: tuple[StaffToken, ...]) -> None:
        self._digests = [(token.name, _digest(token.token.get_secret_value())) for token in tokens]

    def __repr__(self) -> str:
        return f"StaffAuthenticator(staff={[name for name, _ in self._digests]!r})"

    def identify(self, authorization: str | None) -> Staff | None:
        """The staff member the header belongs to, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        presented = _digest(token.strip())
        found: str | None = None
        for name, digest in self._digests:
            if hmac.compare_digest(presented, digest):
                found = name
        # Staff are API tokens, each an admin, until staff accounts with roles exist.
        return Staff(found, Role.ADMIN) if found else None

    def require(self, authorization: str | None) -> Staff:
        staff = self.identify(authorization)
        if staff is None:
            raise NotAuthorizedException(
                "a valid staff token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        return staff


def order_caller(staff: Staff | None, order_token: str | None) -> Caller:
    """Staff, else the holder of the presented order token, else nobody known."""
    if staff is not None:
        return staff
    if order_token:
        return OrderTokenHolder.presenting(order_token)
    return Anonymous()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
