"""The webhook feed's vocabulary: subscriptions, deliveries, the retry schedule.

Every outbox event goes once to every subscription that takes its type (a delivery row,
created in the event's own transaction). Deliveries are at least once: a failed attempt is
tried again on an exponential schedule with jitter (`next_attempt_delay`) for at least
`RETRY_WINDOW`; a delivery still failing after that gives up (`failed`) and pauses its
subscription, which staff then see, resume and replay. Within one subscription the events of
one order go out in their order: a delivery waits while an earlier event of the same order is
still pending for that subscription.
"""

import builtins
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from application.outbox import OutboxEvent
from domain.audit import AuditRecord

# At least this long between an event's first failed attempt and giving up on it.
RETRY_WINDOW = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(hours=1)
MAX_PAGE = 200


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not delivered yet: due at next_attempt_at
    DELIVERED = "delivered"  # the subscriber answered 2xx
    FAILED = "failed"  # gave up after RETRY_WINDOW of failures (staff may replay it)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A receiver of the feed. The secret is kept sealed; only the dispatcher opens it."""

    id: str
    url: str
    event_types: tuple[str, ...]
    status: SubscriptionStatus
    created_at: datetime
    created_by: str
    paused_reason: str | None = None
    paused_at: datetime | None = None
    from_setting: bool = False


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """A subscription to store, its signing secret already sealed (bound to its id)."""

    subscription: Subscription
    secret_sealed: bytes


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one subscription, and how its delivery went so far."""

    id: int
    subscription_id: str
    event_id: str
    event_type: str
    order_id: int
    seq: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    first_failed_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to one dispatcher, with what it needs to send it."""

    delivery: Delivery
    event: OutboxEvent
    url: str
    secret_sealed: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryQuery:
    """Newest first; `before_id` continues a previous page."""

    subscription_id: str | None = None
    status: DeliveryStatus | None = None
    before_id: int | None = None
    limit: int = 50

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1 to {MAX_PAGE}")


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt to deliver came to: a status code (None when no answer came) and,
    when it failed, a short reason safe to show staff."""

    status_code: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def next_attempt_delay(attempts: int, *, uniform: Callable[[float, float], float]) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 5 s doubling up to 1 h, each
    with "equal jitter" (between half and all of it), so receivers that fail together do not
    see every kasir retry at once (tenacity's wait_exponential with jitter, computed here so
    it can be stored as `next_attempt_at`)."""
    if attempts < 1:
        raise ValueError("attempts counts failed attempts, from 1")
    ceiling = min(
        FIRST_RETRY.total_seconds() * 2 ** min(attempts - 1, 32), LONGEST_RETRY.total_seconds()
    )
    return timedelta(seconds=uniform(ceiling / 2, ceiling))


def gives_up(first_failed_at: datetime, now: datetime) -> bool:
    """True once an event has been failing for the whole retry window."""
    return now - first_failed_at >= RETRY_WINDOW


def system_uniform(low: float, high: float) -> float:
    return random.uniform(low, high)


class WebhookStore(Protocol):
    """Subscriptions and the delivery queue; each call is one short transaction of its own.

    Safe for several processes on one database: a delivery is leased to one dispatcher at a
    time (`claim`), and a dispatcher whose lease ran out cannot record over another's.
    """

    async def add_subscription(self, new: NewSubscription, *, audit: AuditRecord) -> None:
        """Store it, with the audit record of who did, in one transaction."""
        ...

    async def get_subscription(self, subscription_id: str) -> Subscription | None: ...

    async def list_subscriptions(self) -> builtins.list[Subscription]:
        """Every subscription, oldest first."""
        ...

    async def set_status(
        self,
        subscription_id: str,
        status: SubscriptionStatus,
        *,
        reason: str | None,
        now: datetime,
        audit: AuditRecord | None = None,
    ) -> Subscription | None:
        """Pause (with `reason`) or resume; None for an unknown subscription. The audit
        record, when given, is written in the same transaction."""
        ...

    async def upsert_setting_subscription(
        self, new: NewSubscription, *, seal: Callable[[str], bytes]
    ) -> Subscription:
        """Make the one subscription of the WEBHOOK_URL setting (`new`, whose id is fixed)
        match it (URL, types, secret sealed by `seal(id)`), creating it when there is none;
        safe when several processes start at once."""
        ...

    async def claim(
        self,
        subscription_id: str,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
    ) -> builtins.list[ClaimedDelivery]:
        """Lease up to `limit` due deliveries of an active subscription to `owner`: pending,
        due, not leased by another, and with no earlier event of the same order still pending
        for this subscription; the oldest due first."""
        ...

    async def record(
        self,
        delivery_id: int,
        *,
        owner: str,
        attempt: Attempt,
        now: datetime,
        next_attempt_at: datetime | None,
        give_up: bool,
    ) -> bool:
        """End `owner`'s lease with the attempt's result: delivered, due again at
        `next_attempt_at`, or (`give_up`) failed, which also pauses the subscription. False
        (nothing changes) when `owner` no longer holds the lease."""
        ...

    async def list_deliveries(self, query: DeliveryQuery) -> builtins.list[Delivery]: ...

    async def replay(
        self, delivery_id: int, *, now: datetime, audit: AuditRecord
    ) -> Delivery | None:
        """Make one delivery pending and due now, whatever its status (a fresh schedule)."""
        ...

    async def replay_from(
        self, subscription_id: str, event_id: str, *, now: datetime, audit: AuditRecord
    ) -> int | None:
        """Make every delivery of the subscription from the event `event_id` on (by outbox
        position) pending and due now, creating the missing ones for its types; how many.
        None when the event is unknown."""
        ...

    async def next_due_at(self, *, now: datetime) -> datetime | None:
        """The earliest due time of a pending delivery of an active subscription."""
        ...
