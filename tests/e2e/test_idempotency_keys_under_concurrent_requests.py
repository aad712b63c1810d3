"""Idempotency-Key with requests that really overlap: one runs, the others wait their turn.

The shared e2e client runs each request to completion before the next starts, so this module
drives the app with httpx's ASGI transport on the test's own event loop, where requests do
overlap (and the app's database engine lives on the same loop).
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.sqlalchemy.migrate import upgrade_database
from application.gateway import QrisCharge, QrisChargeRequest
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

BASE_URL = "http://testserver.local"
STAFF = {"Authorization": "Bearer alice-token-0123456789"}
QRIS = "/api/v1/payments/qris"
KEY = "Idempotency-Key"
ANONYMOUS_KEY = "order-key-0000001"  # anonymous callers send at least 16 characters
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": None}


class BlockingGateway(FakePaymentGateway):
    """Creates wait until the test lets them through, so a request stays in flight."""

    def __init__(self) -> None:
        super().__init__(merchant_code="E2EFAKE")
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        self.entered.set()
        await self.release.wait()
        return await super().create_qris(request)


@dataclass
class Live:
    client: httpx.AsyncClient
    container: Container
    gateway: BlockingGateway

    async def order(self) -> dict[str, Any]:
        item = await self.client.post(
            "/api/v1/menu-items", json={"name": "Nasi goreng", "price": 25_000}, headers=STAFF
        )
        placed = await self.client.post(
            "/api/v1/orders", json={"items": [{"menu_item_id": item.json()["id"], "quantity": 2}]}
        )
        assert placed.status_code == 201, placed.text
        body: dict[str, Any] = placed.json()
        return body

    async def qris(self, order: dict[str, Any], key: str) -> httpx.Response:
        return await self.client.post(
            QRIS,
            json={"order_id": order["id"], "amount": order["total"], "customer_details": CUSTOMER},
            headers={"X-Order-Token": order["access_token"], KEY: key},
        )


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'live.db'}",
        duitku_env="fake",
        kasir_staff_tokens="alice:alice-token-0123456789",
        public_base_url=BASE_URL,
    )
    await upgrade_database(settings.database_url)
    container = build_container(settings)
    gateway = BlockingGateway()
    replace(container, gateway=gateway, clock=SettableClock(datetime.now(UTC)))
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield Live(client, container, gateway)
    finally:
        await container.http_client().aclose()
        await container.engine().dispose()


async def test_a_request_in_flight_answers_409_and_its_retry_then_gets_the_first_answer(
    live: Live,
) -> None:
    order = await live.order()

    first = asyncio.create_task(live.qris(order, "pay-key"))
    await asyncio.wait_for(live.gateway.entered.wait(), timeout=10)
    busy = await asyncio.wait_for(live.qris(order, "pay-key"), timeout=10)
    live.gateway.release.set()
    answered = await asyncio.wait_for(first, timeout=10)
    retry = await live.qris(order, "pay-key")

    assert busy.status_code == 409, busy.text
    assert busy.json()["error"]["code"] == "idempotency_key_in_flight"
    assert 1 <= int(busy.headers["Retry-After"]) <= 5
    assert answered.status_code == 201, answered.text
    assert retry.status_code == 201
    assert retry.json() == answered.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(live.gateway.create_requests) == 1


async def test_of_concurrent_requests_with_one_key_exactly_one_runs(live: Live) -> None:
    order = await live.order()

    requests = [asyncio.create_task(live.qris(order, "race-key")) for _ in range(6)]
    await asyncio.wait_for(live.gateway.entered.wait(), timeout=10)
    await asyncio.sleep(0.2)  # let every other request reach the key
    live.gateway.release.set()
    answers = await asyncio.wait_for(asyncio.gather(*requests), timeout=20)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 409, 409, 409, 409, 409], [a.text for a in answers]
    assert len(live.gateway.create_requests) == 1


async def test_concurrent_orders_with_one_key_place_one_order(live: Live) -> None:
    item = await live.client.post(
        "/api/v1/menu-items", json={"name": "Es teh", "price": 5_000}, headers=STAFF
    )
    body = {"items": [{"menu_item_id": item.json()["id"], "quantity": 1}]}

    answers = await asyncio.wait_for(
        asyncio.gather(
            *(
                live.client.post("/api/v1/orders", json=body, headers={KEY: ANONYMOUS_KEY})
                for _ in range(8)
            )
        ),
        timeout=20,
    )

    assert {a.status_code for a in answers} <= {201, 409}
    placed = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(placed) == 1
    listed = await live.client.get("/api/v1/orders", headers=STAFF)
    assert len(listed.json()["items"]) == 1
