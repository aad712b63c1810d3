"""Who asks a use case to act: a staff member, an order-token holder, the system, or nobody known.

The entrypoints authenticate (who is this?) and hand the caller to the use case; the use case
authorizes inside its own first read, so no controller loads an aggregate just to check access.
Callers carry no secret: an order-token holder is known by the token's hash only.
"""

import hmac
from dataclasses import dataclass

from application.errors import Forbidden, NotFound
from application.tokens import hash_token
from domain.orders import Order
from domain.staff import Role as Role  # noqa: PLC0414 - re-exported: callers name it from here

ORDER_NOT_FOUND = "order not found"  # the same words for an unknown order and a wrong token


@dataclass(frozen=True, slots=True)
class Staff:
    """A staff member, authenticated by the entrypoint; money actions record the name.

    `staff_id` is the stable identity that shifts, refunds and the audit log key on: a stored
    account's id (`"account:<n>"`) or, for a machine API token, `"token:<name>"` (the default).
    The name is what people read on receipts and reports.
    """

    name: str
    role: Role = Role.ADMIN
    staff_id: str = ""

    def __post_init__(self) -> None:
        if not self.staff_id:
            object.__setattr__(self, "staff_id", f"token:{self.name}")


@dataclass(frozen=True, slots=True)
class OrderTokenHolder:
    """Whoever presented an order access token: known by its hash, never by the token."""

    token_hash: str

    @classmethod
    def presenting(cls, token: str) -> "OrderTokenHolder":
        return cls(hash_token(token))


@dataclass(frozen=True, slots=True)
class OrderPassHolder:
    """Whoever holds a pass kasir signed for one order (the payment page's link, the live
    status stream's token): may act on that order as its customer, on no other."""

    order_id: int


@dataclass(frozen=True, slots=True)
class System:
    """kasir itself: the background jobs and the command line."""

    job: str


@dataclass(frozen=True, slots=True)
class Anonymous:
    """A caller without credentials: a customer placing an order, or holding a payment's id."""


Caller = Staff | OrderTokenHolder | OrderPassHolder | System | Anonymous


def require_order_access(caller: Caller, order: Order | None) -> Order:
    """The order, when the caller may act on it: staff and the system on every order, anybody
    else only with that order's own access token or a pass kasir signed for that order.

    Order ids are sequential, so without this check anyone could read other tables' orders.
    A missing or wrong token answers exactly like an unknown order (NotFound): a 401 or 403 for
    an order that exists would tell how many orders there are. The stored hash is compared in
    constant time.
    """
    if order is None:
        raise NotFound(ORDER_NOT_FOUND)
    if isinstance(caller, Staff | System):
        return order
    if isinstance(caller, OrderTokenHolder) and hmac.compare_digest(
        caller.token_hash, order.access_token_hash
    ):
        return order
    if isinstance(caller, OrderPassHolder) and caller.order_id == order.id:
        return order
    raise NotFound(ORDER_NOT_FOUND)


def require_staff(caller: Caller, *roles: Role) -> Staff:
    """The staff member, when the caller is one with one of `roles` (any role by default)."""
    if not isinstance(caller, Staff):
        raise Forbidden("staff only")
    if roles and caller.role not in roles:
        raise Forbidden(f"the role {caller.role.value} may not do this")
    return caller
