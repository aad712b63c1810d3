"""Short-lived passes bound to one order: the payment page's signed link and the stream token.

A customer's browser must reach two things without the order's access token: the payment
page (`/pay/{order_id}?sig=...`, a link the ordering front end hands out) and the live status
stream (an `EventSource` cannot send headers, so its credential rides in the query string).
Each is a pass: the order id and an expiry, sealed (authenticated encryption) with a key of
its own purpose derived from KASIR_SECRET_KEY. The order id is the sealed value's context, so
a pass opens only for its own order; no table is needed, and every process sharing the secret
accepts what another issued. A pass of one kind never opens as the other (another key), and
none of them is, or reveals, the order's access token.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from application.errors import ApplicationError
from application.ports import Clock
from application.sealing import Sealer, UnreadableSeal

_EXPIRY_BYTES = 8  # seconds since the epoch, big-endian


class PassRefused(ApplicationError):
    """A pass that is malformed, altered, for another order or of another kind (403)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class PassExpired(ApplicationError):
    """A genuine pass for this order whose time is over (410): ask for a new one."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class PassKind:
    """What a pass is for: its name in messages and the stable codes it is refused with."""

    name: str
    refused_code: str
    expired_code: str


PAYMENT_LINK = PassKind("payment link", "payment_link_invalid", "payment_link_expired")
STREAM_TOKEN = PassKind("stream token", "stream_token_invalid", "stream_token_expired")


@dataclass(frozen=True, slots=True)
class IssuedPass:
    value: str  # URL-safe, no padding
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OrderPasses:
    """Issues and checks one kind of pass; `sealer` is keyed for that kind alone."""

    kind: PassKind
    sealer: Sealer
    clock: Clock
    lifetime: timedelta

    def issue(self, order_id: int) -> IssuedPass:
        expires_at = self.clock.now().replace(microsecond=0) + self.lifetime
        sealed = self.sealer.seal(
            int(expires_at.timestamp()).to_bytes(_EXPIRY_BYTES, "big"), context=_context(order_id)
        )
        return IssuedPass(base64.urlsafe_b64encode(sealed).rstrip(b"=").decode(), expires_at)

    def check(self, order_id: int, value: str | None) -> datetime:
        """The pass's expiry, when `value` is a pass of this kind for `order_id` still valid.

        Raises PassRefused (missing, malformed, altered, another order or kind) or PassExpired.
        """
        if not value:
            raise PassRefused(f"a {self.kind.name} is required", code=self.kind.refused_code)
        try:
            raw = base64.urlsafe_b64decode(value.encode("ascii") + b"=" * (-len(value) % 4))
            expiry = self.sealer.open(raw, context=_context(order_id))
        except (UnicodeEncodeError, binascii.Error, ValueError, UnreadableSeal):
            raise PassRefused(
                f"the {self.kind.name} is not valid for this order", code=self.kind.refused_code
            ) from None
        if len(expiry) != _EXPIRY_BYTES:
            raise PassRefused(
                f"the {self.kind.name} is not valid for this order", code=self.kind.refused_code
            )
        expires_at = datetime.fromtimestamp(int.from_bytes(expiry, "big"), UTC)
        if self.clock.now() >= expires_at:
            raise PassExpired(f"the {self.kind.name} has expired", code=self.kind.expired_code)
        return expires_at


def _context(order_id: int) -> bytes:
    return f"order:{order_id}".encode()
