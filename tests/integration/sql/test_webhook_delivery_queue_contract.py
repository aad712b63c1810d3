"""The webhook delivery queue on SQLite and PostgreSQL: one delivery per event and
subscriber, leased to one dispatcher at a time, one order's events one after the other (a
failing event holds back only that order's later events, for that subscriber only), giving
up after the retry window pauses the subscriber, and staff replays."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.crypto.aead import AesGcmSealer
from adapters.in_memory.clock import SettableClock
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.sqlalchemy.webhooks import SqlAlchemyWebhookStore
from application.audit import audit_record
from application.callers import Role, Staff
from application.outbox import ALL_EVENT_TYPES
from application.use_cases.webhook_feed import SubscriptionFactory
from application.webhooks import (
    RETRY_WINDOW,
    Attempt,
    DeliveryQuery,
    DeliveryStatus,
    SubscriptionStatus,
)
from domain.menu import MenuItem
from domain.orders import Order

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
LEASE = NOW + timedelta(minutes=2)
ADMIN = Staff("alice", Role.ADMIN)
OK = Attempt(204)
DOWN = Attempt(500, "answered 500")


class Queue:
    def __init__(self, engine: AsyncEngine) -> None:
        self.uow = SqlAlchemyUnitOfWorkFactory(engine, clock=SettableClock(NOW))
        self.store = SqlAlchemyWebhookStore(self.uow)
        self.factory = SubscriptionFactory(
            sealer=AesGcmSealer("s" * 32, purpose=b"webhook-secrets"), clock=SettableClock(NOW)
        )

    async def subscribe(self, *types: str) -> str:
        new, _ = self.factory.make(
            "https://hooks.example/", types or ALL_EVENT_TYPES, created_by="alice"
        )
        audit = audit_record(ADMIN, "webhook_subscription.created", "x", at=NOW)
        await self.store.add_subscription(new, audit=audit)
        return new.subscription.id

    async def order(self) -> int:
        """A placed order: one event (order.placed)."""
        item = MenuItem.create(name="Sate", price=10_000)
        async with self.uow() as uow:
            await uow.menu.add(item)
            order = Order.place(items=[(item, 1)], access_token_hash="h", now=NOW)
            await uow.orders.add(order)
            await uow.commit()
        return order.key

    async def cancel(self, order_id: int) -> None:
        async with self.uow() as uow:
            order = await uow.orders.get(order_id, for_update=True)
            assert order is not None
            order.cancel(by="alice", now=NOW)
            await uow.orders.update(order)
            await uow.commit()

    async def claim(self, subscription: str, owner: str = "a", now: datetime = NOW) -> list[str]:
        claimed = await self.store.claim(
            subscription, owner=owner, now=now, lease_until=now + timedelta(minutes=2), limit=10
        )
        return [f"{c.event.order_id}:{c.event.seq}" for c in claimed]

    async def next_due(self) -> datetime | None:
        return await self.store.next_due_at(now=NOW)

    async def record(
        self, subscription: str, key: str, attempt: Attempt, *, give_up: bool = False
    ) -> None:
        [delivery] = [
            d
            for d in await self.store.list_deliveries(DeliveryQuery(subscription_id=subscription))
            if f"{d.order_id}:{d.seq}" == key
        ]
        assert await self.store.record(
            delivery.id,
            owner="a",
            attempt=attempt,
            now=NOW,
            next_attempt_at=None if attempt.delivered else NOW + timedelta(seconds=5),
            give_up=give_up,
        )


@pytest.fixture
def queue(sql_engine: AsyncEngine) -> Queue:
    return Queue(sql_engine)


async def test_a_failing_event_holds_back_only_its_orders_later_events_for_that_subscriber(
    queue: Queue,
) -> None:
    kitchen, front = await queue.subscribe(), await queue.subscribe()
    first, second = await queue.order(), await queue.order()
    await queue.cancel(first)

    assert await queue.claim(kitchen) == [f"{first}:1", f"{second}:1"]
    await queue.record(kitchen, f"{first}:1", DOWN)
    await queue.record(kitchen, f"{second}:1", OK)
    # The cancel of `first` waits behind its failed placement; the other subscriber's not.
    assert await queue.claim(kitchen, now=NOW + timedelta(minutes=1)) == [f"{first}:1"]
    assert await queue.claim(front) == [f"{first}:1", f"{second}:1"]

    await queue.record(kitchen, f"{first}:1", OK)
    assert await queue.claim(kitchen, now=NOW + timedelta(minutes=2)) == [f"{first}:2"]


async def test_a_leased_delivery_goes_to_one_dispatcher_and_only_it_records(queue: Queue) -> None:
    kitchen = await queue.subscribe()
    orders = [await queue.order() for _ in range(6)]
    a, b = await asyncio.gather(queue.claim(kitchen, "a"), queue.claim(kitchen, "b"))
    assert sorted(a + b) == sorted(f"{o}:1" for o in orders)
    assert not set(a) & set(b)
    [delivery, *_] = await queue.store.list_deliveries(DeliveryQuery(subscription_id=kitchen))
    taken_by_a = f"{delivery.order_id}:{delivery.seq}" in a
    stolen = await queue.store.record(
        delivery.id,
        owner="b" if taken_by_a else "a",
        attempt=OK,
        now=NOW,
        next_attempt_at=None,
        give_up=False,
    )
    assert not stolen


async def test_a_subscription_takes_only_its_types(queue: Queue) -> None:
    cancels = await queue.subscribe("order.cancelled")
    order_id = await queue.order()
    await queue.cancel(order_id)
    assert await queue.claim(cancels) == [f"{order_id}:2"]


async def test_giving_up_pauses_the_subscriber_and_a_replay_sends_it_again(queue: Queue) -> None:
    kitchen = await queue.subscribe()
    order_id = await queue.order()
    await queue.claim(kitchen)
    await queue.record(kitchen, f"{order_id}:1", DOWN, give_up=True)

    paused = await queue.store.get_subscription(kitchen)
    assert paused is not None
    assert paused.status is SubscriptionStatus.PAUSED
    assert paused.paused_reason is not None
    [failed] = await queue.store.list_deliveries(
        DeliveryQuery(subscription_id=kitchen, status=DeliveryStatus.FAILED)
    )
    assert (failed.attempts, failed.last_status_code) == (1, 500)

    later = NOW + RETRY_WINDOW
    audit = audit_record(ADMIN, "webhook_delivery.replayed", "x", at=later)
    replayed = await queue.store.replay(failed.id, now=later, audit=audit)
    assert replayed is not None
    assert (replayed.status, replayed.attempts) == (DeliveryStatus.PENDING, 0)
    assert await queue.claim(kitchen, now=later) == []  # still paused
    await queue.store.set_status(kitchen, SubscriptionStatus.ACTIVE, reason=None, now=later)
    assert await queue.claim(kitchen, now=later) == [f"{order_id}:1"]


async def test_replay_from_an_event_sends_it_and_every_later_one_again(queue: Queue) -> None:
    kitchen = await queue.subscribe()
    first = await queue.order()
    second = await queue.order()
    for key in await queue.claim(kitchen):
        await queue.record(kitchen, key, OK)
    async with queue.uow(read_only=True) as uow:
        [event] = await uow.outbox.for_order(second)
    audit = audit_record(ADMIN, "webhook_delivery.replayed", "x", at=NOW)
    assert await queue.store.replay_from(kitchen, event.id, now=NOW, audit=audit) == 1
    assert await queue.claim(kitchen) == [f"{second}:1"]
    assert await queue.store.replay_from(kitchen, "evt_unknown", now=NOW, audit=audit) is None
    assert first != second


async def test_processes_starting_together_keep_one_subscriber_of_the_setting(
    queue: Queue,
) -> None:
    async def start(url: str) -> None:
        new, secret = queue.factory.make(
            url, ALL_EVENT_TYPES, created_by="setting", secret=None, from_setting=True
        )
        await queue.store.upsert_setting_subscription(
            new, seal=lambda sid: queue.factory.seal(sid, secret)
        )

    await asyncio.gather(*(start("https://one.example/") for _ in range(4)))
    await start("https://moved.example/")
    [subscription] = await queue.store.list_subscriptions()
    assert subscription.from_setting
    assert subscription.url == "https://moved.example/"


async def test_the_next_due_time_skips_events_held_back_behind_a_failing_one(
    queue: Queue,
) -> None:
    kitchen = await queue.subscribe()
    order_id = await queue.order()
    await queue.cancel(order_id)
    assert await queue.next_due() == NOW
    await queue.claim(kitchen)
    await queue.record(kitchen, f"{order_id}:1", DOWN)  # due again at NOW + 5 s
    assert await queue.next_due() == NOW + timedelta(seconds=5)
