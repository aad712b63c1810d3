"""Who may call what: staff by bearer token, customers by their order's access token."""

import hashlib
import hmac
from dataclasses import dataclass

from litestar.exceptions import NotAuthorizedException

from application.errors import NotFound
from application.tokens import token_matches
from entrypoints.settings import StaffToken

ORDER_TOKEN_HEADER = "X-Order-Token"  # noqa: S105 - a header name
ORDER_NOT_FOUND = "order not found"  # the same words as the use cases' own NotFound

# OpenAPI security requirements of the operations (schemes declared in app.py).
STAFF_ONLY: list[dict[str, list[str]]] = [{"StaffToken": []}]
STAFF_OR_ORDER_TOKEN: list[dict[str, list[str]]] = [{"StaffToken": []}, {"OrderToken": []}]


@dataclass(frozen=True, slots=True)
class StaffMember:
    name: str


class StaffAuthenticator:
    """Checks `Authorization: Bearer <token>` against the configured staff tokens.

    Tokens are compared as SHA-256 digests with `hmac.compare_digest`, against every known
    token without stopping early, so timing reveals neither a token nor which one was close.
    """

    def __init__(self, tokens: tuple[StaffToken, ...]) -> None:
        self._digests = [(token.name, _digest(token.token.get_secret_value())) for token in tokens]

    def __repr__(self) -> str:
        return f"StaffAuthenticator(staff={[name for name, _ in self._digests]!r})"

    def identify(self, authorization: str | None) -> StaffMember | None:
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
        return StaffMember(found) if found else None

    def require(self, authorization: str | None) -> StaffMember:
        staff = self.identify(authorization)
        if staff is None:
            raise NotAuthorizedException(
                "a valid staff token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        return staff


def require_order_access(
    *, staff: StaffMember | None, order_token: str | None, token_hash: str
) -> None:
    """Staff read every order; anybody else needs that order's own access token.

    Order ids are sequential, so without this check anyone could read other tables' orders.
    A missing or wrong token answers exactly like an unknown order (404 `not_found`): a 401
    or 403 for an order that exists would tell how many orders there are.
    """
    if staff is not None:
        return
    if not order_token or not token_matches(order_token, token_hash):
        raise NotFound(ORDER_NOT_FOUND)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
