"""Delivering the webhook feed: lease due deliveries of one subscription, send, record.

The dispatcher of each process (entrypoints/webhook_dispatcher.py) calls `deliver_due` for every
active subscription in a task of its own, so a slow subscriber only ever holds up its own
deliveries. Each call leases at most `batch` deliveries (the subscriber's concurrency in this
process) and sends them at once; the store never leases two events of one order to the
same subscription together, so they arrive in order. No transaction is open while a
subscriber is called.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from application.outbox import OutboxEvent
from application.ports import Clock
from application.sealing import Sealer, UnreadableSeal
from application.use_cases.webhook_feed import secret_context
from application.webhooks import (
    Attempt,
    ClaimedDelivery,
    SubscriptionStatus,
    WebhookStore,
    gives_up,
    next_attempt_delay,
    system_uniform,
)

DEFAULT_LEASE = timedelta(minutes=2)


class WebhookSender(Protocol):
    """Sends one event to one URL, signed with the subscription's secret; one attempt."""

    async def send(self, url: str, secret: str, event: OutboxEvent) -> Attempt: ...


@dataclass(frozen=True, slots=True)
class BatchReport:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0


class DispatchWebhooks:
    """One dispatcher's work, shared with every other process through leases."""

    def __init__(
        self,
        *,
        store: WebhookStore,
        sender: WebhookSender,
        sealer: Sealer,
        clock: Clock,
        batch: int,
        lease: timedelta = DEFAULT_LEASE,
        uniform: Callable[[float, float], float] = system_uniform,
    ) -> None:
        self._store = store
        self._sender = sender
        self._sealer = sealer
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._uniform = uniform

    async def active_subscriptions(self) -> list[str]:
        return [
            s.id
            for s in await self._store.list_subscriptions()
            if s.status is SubscriptionStatus.ACTIVE
        ]

    async def deliver_due(self, subscription_id: str, *, owner: str) -> BatchReport:
        now = self._clock.now()
        claimed = await self._store.claim(
            subscription_id, owner=owner, now=now, lease_until=now + self._lease, limit=self._batch
        )
        # Every attempt runs to its end even when one fails to record (its lease then ends
        # and the delivery is claimed again); the first such error is raised afterwards.
        results = await asyncio.gather(
            *(self._deliver(item, owner) for item in claimed), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]
        outcomes = [r for r in results if isinstance(r, str)]
        return BatchReport(
            delivered=outcomes.count("delivered"),
            failed=outcomes.count("failed"),
            gave_up=outcomes.count("gave_up"),
        )

    async def seconds_until_due(self) -> float | None:
        """Seconds until the earliest pending delivery is due (0 when one is), or None."""
        now = self._clock.now()
        due = await self._store.next_due_at(now=now)
        return None if due is None else max((due - now).total_seconds(), 0.0)

    async def _deliver(self, item: ClaimedDelivery, owner: str) -> str:
        try:
            secret = self._sealer.open(
                item.secret_sealed, context=secret_context(item.delivery.subscription_id)
            ).decode()
        except UnreadableSeal:
            attempt = Attempt(None, "the secret does not open with this KASIR_SECRET_KEY")
        else:
            attempt = await self._sender.send(item.url, secret, item.event)
        now = self._clock.now()
        if attempt.delivered:
            await self._store.record(
                item.delivery.id,
                owner=owner,
                attempt=attempt,
                now=now,
                next_attempt_at=None,
                give_up=False,
            )
            return "delivered"
        give_up = gives_up(item.delivery.first_failed_at or now, now)
        failures = item.delivery.attempts + 1
        await self._store.record(
            item.delivery.id,
            owner=owner,
            attempt=attempt,
            now=now,
            next_attempt_at=None
            if give_up
            else now + next_attempt_delay(failures, uniform=self._uniform),
            give_up=give_up,
        )
        return "gave_up" if give_up else "failed"
