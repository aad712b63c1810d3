"""The signed webhook feed end to end, on SQLite and PostgreSQL: the service (its dispatcher
running in the app's lifespan) delivers every committed event to a real receiver on
127.0.0.1 that verifies each signature with `standardwebhooks`. After duplicates are removed
by `webhook-id` the receiver has every event exactly once, each order's in its order,
across a receiver outage (it answers 500, then recovers) and a service restart in between.

Time for back-off is the service's settable clock (moved past the retry delays), never a
sleep; every wait is bounded.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.overrides import replace
from tests.support.webhook_receiver import WebhookReceiver, eventually, running_receiver

from adapters.in_memory.clock import SettableClock
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.ports import Clock
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

STAFF_TOKEN = "alice-token-0123456789"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
SECRET_KEY = "one-secret-for-both-runs-of-the-service-0123"
WAIT = 30.0


@dataclass
class Service:
    client: AsyncTestClient[Litestar]
    container: Container
    clock: Clock

    async def order(self, *, pay: bool = False, cancel: bool = False) -> int:
        item = await self.client.post(
            "/api/v1/menu-items", json={"name": "Sate", "price": 20_000}, headers=STAFF
        )
        placed = await self.client.post(
            "/api/v1/orders", json={"items": [{"menu_item_id": item.json()["id"], "quantity": 1}]}
        )
        order_id: int = placed.json()["id"]
        if pay:
            await self.open_drawer()
            paid = await self.client.post(
                "/api/v1/payments/cash",
                json={"order_id": order_id, "amount_tendered": 50_000},
                headers=STAFF,
            )
            assert paid.status_code == 201, paid.text
        if cancel:
            cancelled = await self.client.post(
                f"/api/v1/orders/{order_id}/cancel", json={"reason": "left"}, headers=STAFF
            )
            assert cancelled.status_code == 200, cancelled.text
        return order_id

    async def open_drawer(self) -> None:
        """Alice's shift, once per database: the cash she takes goes into it."""
        current = await self.client.get("/api/v1/shifts/current", headers=STAFF)
        if current.status_code == 404:
            opened = await self.client.post(
                "/api/v1/shifts", json={"opening_float": 0}, headers=STAFF
            )
            assert opened.status_code == 201, opened.text


async def events_of(engine: AsyncEngine, order_ids: list[int]) -> dict[int, list[str]]:
    """Each order's committed event ids, in its order (read on the test's own engine: the
    app runs on its own event loop)."""
    found: dict[int, list[str]] = {}
    async with SqlAlchemyUnitOfWorkFactory(engine)(read_only=True) as uow:
        for order_id in order_ids:
            found[order_id] = [e.id for e in await uow.outbox.for_order(order_id)]
    return found


@asynccontextmanager
async def service(database_url: str, clock: Clock) -> AsyncIterator[Service]:
    settings = load_settings(
        database_url=database_url,
        duitku_env="fake",
        kasir_staff_tokens=f"alice:{STAFF_TOKEN}",
        kasir_secret_key=SECRET_KEY,
        reconcile_interval_seconds=0,
        webhook_dispatch_interval_seconds=0.2,
    )
    container = build_container(settings)
    replace(container, clock=clock)
    app = create_app(container, background_jobs=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield Service(client, container, clock)


def delivered_everything(receiver: WebhookReceiver, expected: dict[int, list[str]]) -> bool:
    got = {item.webhook_id for item in receiver.first_arrivals("kitchen")}
    return got >= {event for events in expected.values() for event in events}


async def test_every_event_arrives_once_in_order_across_an_outage_and_a_restart(
    sql_engine: AsyncEngine,
) -> None:
    database_url = sql_engine.url.render_as_string(hide_password=False)
    clock = SettableClock(datetime.now(UTC))
    counted_before = {outcome: _counted(outcome) for outcome in ("delivered", "failed")}
    orders: list[int] = []
    async with running_receiver() as receiver:
        async with service(database_url, clock) as first:
            created = await first.client.post(
                "/api/v1/webhook-subscriptions",
                json={"url": receiver.url("kitchen")},
                headers=STAFF,
            )
            assert created.status_code == 201, created.text
            receiver.secrets["kitchen"] = created.json()["secret"]
            assert created.json()["secret"].startswith("whsec_")

            orders += [await first.order(pay=True), await first.order(cancel=True)]
            expected = await events_of(sql_engine, orders)
            await eventually(
                lambda: delivered_everything(receiver, expected), within=WAIT, what="delivery"
            )

            # The receiver goes down; new events fail and wait for their retry.
            receiver.failing = True
            orders += [await first.order(pay=True), await first.order()]
            await eventually(lambda: receiver.failed_answers >= 2, within=WAIT, what="failures")

        # The service restarts (a new process, same database); the receiver is back; time
        # has moved past every retry delay.
        receiver.failing = False
        clock.advance(timedelta(minutes=10))
        async with service(database_url, clock) as second:
            orders.append(await second.order(pay=True))
            expected = await events_of(sql_engine, orders)
            await eventually(
                lambda: delivered_everything(receiver, expected), within=WAIT, what="recovery"
            )
            listed = await second.client.get(
                "/api/v1/webhook-deliveries", params={"status": "pending"}, headers=STAFF
            )

    firsts = receiver.first_arrivals("kitchen")
    assert receiver.refused == 0
    assert sorted(item.webhook_id for item in firsts) == sorted(
        event for events in expected.values() for event in events
    )
    for order_id, events in expected.items():
        arrived = [item.webhook_id for item in firsts if item.payload["order"]["id"] == order_id]
        assert arrived == events, f"order {order_id} arrived out of order"
    seqs = _seqs_by_order([item.payload for item in firsts])
    assert all(seq == list(range(1, len(seq) + 1)) for seq in seqs.values())
    assert listed.json()["items"] == []
    assert _counted("delivered") - counted_before["delivered"] >= len(firsts)
    assert _counted("failed") > counted_before["failed"]


def _counted(outcome: str) -> float:
    value = REGISTRY.get_sample_value("kasir_webhook_deliveries_total", {"outcome": outcome})
    return value or 0.0


def _seqs_by_order(payloads: list[dict[str, Any]]) -> dict[int, list[int]]:
    seqs: dict[int, list[int]] = {}
    for payload in payloads:
        seqs.setdefault(payload["order"]["id"], []).append(payload["seq"])
    return seqs


async def test_a_subscriber_that_hangs_never_holds_up_another(sql_engine: AsyncEngine) -> None:
    database_url = sql_engine.url.render_as_string(hide_password=False)
    async with (
        running_receiver() as receiver,
        service(database_url, SettableClock(datetime.now(UTC))) as running,
    ):
        for name in ("slow", "fast"):
            created = await running.client.post(
                "/api/v1/webhook-subscriptions", json={"url": receiver.url(name)}, headers=STAFF
            )
            receiver.secrets[name] = created.json()["secret"]
        receiver.stalled.add("slow")
        orders = [await running.order(pay=True) for _ in range(3)]
        expected = await events_of(sql_engine, orders)
        everything = {event for events in expected.values() for event in events}

        await eventually(
            lambda: {i.webhook_id for i in receiver.first_arrivals("fast")} >= everything,
            within=WAIT,
            what="the fast subscriber's deliveries",
        )
        assert receiver.first_arrivals("slow") == []
        receiver.release.set()
        await eventually(
            lambda: {i.webhook_id for i in receiver.first_arrivals("slow")} >= everything,
            within=WAIT,
            what="the slow subscriber's deliveries",
        )
