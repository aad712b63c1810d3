"""Managing the webhook feed: subscriptions (admins), deliveries and replays (staff).

A subscription's signing secret is made here (`whsec_` + base64 of 24 random bytes, the
Standard Webhooks form), shown once in the answer to its creation and otherwise kept sealed
with KASIR_SECRET_KEY, bound to the subscription's id, so a copied row does not open under
another id and the database alone does not reveal it.
"""

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from application.audit import audit_record
from application.callers import Caller, Role, Staff, require_staff
from application.destinations import DestinationPolicy, Resolver, UnsafeDestination, checked
from application.errors import NotFound, UnknownEventType, WebhookDestinationRefused
from application.outbox import ALL_EVENT_TYPES
from application.ports import Clock
from application.sealing import Sealer
from application.webhooks import (
    Delivery,
    DeliveryQuery,
    NewSubscription,
    Subscription,
    SubscriptionStatus,
    WebhookStore,
)
from domain.audit import AuditRecord

SECRET_BYTES = 24
# The one subscription of the WEBHOOK_URL setting (or simulator mode's receiver).
SETTING_SUBSCRIPTION_ID = "whsub_" + "0" * 24


def secret_context(subscription_id: str) -> bytes:
    """What a subscription's sealed secret is bound to."""
    return b"webhook-subscription:" + subscription_id.encode()


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_subscription_id() -> str:
    return f"whsub_{secrets.token_hex(12)}"


def event_types_of(requested: Sequence[str] | None) -> tuple[str, ...]:
    """The requested types, each one kasir publishes; all of them when none are named."""
    if not requested:
        return ALL_EVENT_TYPES
    unknown = sorted(set(requested) - set(ALL_EVENT_TYPES))
    if unknown:
        raise UnknownEventType(
            f"unknown event types {unknown}; kasir publishes {list(ALL_EVENT_TYPES)}"
        )
    return tuple(sorted(set(requested)))


@dataclass(frozen=True, slots=True)
class CreatedSubscription:
    subscription: Subscription
    secret: str = field(repr=False)  # shown once, in the answer only


class SubscriptionFactory:
    """Makes a subscription with a fresh sealed secret (also for the WEBHOOK_URL setting)."""

    def __init__(self, *, sealer: Sealer, clock: Clock) -> None:
        self._sealer = sealer
        self._clock = clock

    def make(
        self,
        url: str,
        event_types: tuple[str, ...],
        *,
        created_by: str,
        secret: str | None = None,
        from_setting: bool = False,
    ) -> tuple[NewSubscription, str]:
        secret = secret or new_secret()
        subscription = Subscription(
            id=SETTING_SUBSCRIPTION_ID if from_setting else new_subscription_id(),
            url=url,
            event_types=event_types,
            status=SubscriptionStatus.ACTIVE,
            created_at=self._clock.now(),
            created_by=created_by,
            from_setting=from_setting,
        )
        return NewSubscription(subscription, self.seal(subscription.id, secret)), secret

    def seal(self, subscription_id: str, secret: str) -> bytes:
        return self._sealer.seal(secret.encode(), context=secret_context(subscription_id))


class CreateSubscription:
    """An admin registers a receiver; its URL must be one kasir may call right now."""

    def __init__(
        self,
        *,
        store: WebhookStore,
        factory: SubscriptionFactory,
        policy: DestinationPolicy,
        resolver: Resolver,
        clock: Clock,
    ) -> None:
        self._store = store
        self._factory = factory
        self._policy = policy
        self._resolver = resolver
        self._clock = clock

    async def execute(
        self, url: str, event_types: Sequence[str] | None, *, caller: Caller
    ) -> CreatedSubscription:
        staff = require_staff(caller, Role.ADMIN)
        types = event_types_of(event_types)
        try:
            await checked(self._policy, self._resolver, url)
        except UnsafeDestination as refused:
            raise WebhookDestinationRefused(str(refused)) from None
        new, secret = self._factory.make(url, types, created_by=staff.name)
        await self._store.add_subscription(
            new,
            audit=audit_record(
                staff,
                "webhook_subscription.created",
                f"webhook_subscription:{new.subscription.id}",
                at=self._clock.now(),
                after={"url": url, "event_types": list(types)},
            ),
        )
        return CreatedSubscription(new.subscription, secret)


class ListSubscriptions:
    def __init__(self, *, store: WebhookStore) -> None:
        self._store = store

    async def execute(self, *, caller: Caller) -> list[Subscription]:
        require_staff(caller, Role.ADMIN)
        return await self._store.list_subscriptions()


class SetSubscriptionStatus:
    """An admin pauses a subscription (deliveries wait, events still queue for it) or resumes
    it (what queued meanwhile goes out, in order)."""

    def __init__(self, *, store: WebhookStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def execute(
        self, subscription_id: str, status: SubscriptionStatus, *, caller: Caller
    ) -> Subscription:
        staff = require_staff(caller, Role.ADMIN)
        now = self._clock.now()
        action = "paused" if status is SubscriptionStatus.PAUSED else "resumed"
        changed = await self._store.set_status(
            subscription_id,
            status,
            reason=f"paused by {staff.name}",
            now=now,
            audit=audit_record(
                staff,
                f"webhook_subscription.{action}",
                f"webhook_subscription:{subscription_id}",
                at=now,
                after={"status": status.value},
            ),
        )
        if changed is None:
            raise NotFound(f"no webhook subscription {subscription_id}")
        return changed


class ListDeliveries:
    def __init__(self, *, store: WebhookStore) -> None:
        self._store = store

    async def execute(self, query: DeliveryQuery, *, caller: Caller) -> list[Delivery]:
        require_staff(caller)
        return await self._store.list_deliveries(query)


class ReplayDeliveries:
    """Staff send one delivery again, or everything of a subscription from an event on."""

    def __init__(self, *, store: WebhookStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def one(self, delivery_id: int, *, caller: Caller) -> Delivery:
        staff = require_staff(caller)
        now = self._clock.now()
        replayed = await self._store.replay(
            delivery_id,
            now=now,
            audit=_replay_audit(staff, f"webhook_delivery:{delivery_id}", now=now),
        )
        if replayed is None:
            raise NotFound(f"no webhook delivery {delivery_id}")
        return replayed

    async def from_event(self, subscription_id: str, event_id: str, *, caller: Caller) -> int:
        staff = require_staff(caller)
        now = self._clock.now()
        count = await self._store.replay_from(
            subscription_id,
            event_id,
            now=now,
            audit=_replay_audit(
                staff, f"webhook_subscription:{subscription_id}", now=now, event_id=event_id
            ),
        )
        if count is None:
            raise NotFound(f"no webhook subscription {subscription_id} or event {event_id}")
        return count


def _replay_audit(
    staff: Staff, subject: str, *, now: datetime, event_id: str | None = None
) -> AuditRecord:
    return audit_record(
        staff,
        "webhook_delivery.replayed",
        subject,
        at=now,
        after=None if event_id is None else {"from_event_id": event_id},
    )
