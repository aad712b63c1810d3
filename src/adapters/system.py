"""Production implementations of the clock and reference ports, from the standard library."""

import secrets
from datetime import UTC, datetime

ATTEMPT_ID_PREFIX = "KSR"


class SystemClock:
    """The real time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SecureReferenceGenerator:
    """Unguessable ids from the OS's CSPRNG.

    A merchant order id is a capability (it reads the payment) and Duitku allows 50 characters,
    so it carries 128 random bits: `KSR-` plus 32 hex characters, 36 in all.
    """

    def new_attempt_id(self) -> str:
        return f"{ATTEMPT_ID_PREFIX}-{secrets.token_hex(16)}"

    def new_access_token(self) -> str:
        return secrets.token_urlsafe(24)


def new_event_id() -> str:
    """The public id of an outbox event (`evt_` + 32 hex characters): the `webhook-id` of its
    deliveries, unique across databases so receivers may deduplicate on it."""
    return f"evt_{secrets.token_hex(16)}"


class SecureSecrets:
    """Session tokens: 256 random bits from the OS's CSPRNG, URL-safe."""

    def new_secret(self) -> str:
        return secrets.token_urlsafe(32)
