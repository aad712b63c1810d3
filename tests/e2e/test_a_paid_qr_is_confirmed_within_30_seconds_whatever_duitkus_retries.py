"""A paid QR turns the order paid within about 30 s whatever Duitku's retry spacing.

The whole service over HTTP with the Duitku simulator mounted (its callbacks go back into the
app, its transactionStatus is what kasir asks) and the reconciliation job running with the
app, on a settable clock. Duitku's callback for a payment can come before its own
transactionStatus shows it paid, and its retries come quickly: today both got 503, the
simulator gave up, and the order waited for a reconciliation slot minutes later. Now each is
answered 200 `scheduled` at its first delivery, and kasir's own status check pays the order
when the one-call-per-30-s budget allows.
"""

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from adapters.sqlalchemy.migrate import upgrade_database
from entrypoints import gateways
from entrypoints.container import Container, build_container
from entrypoints.duitku_simulator import (
    DEFAULT_MOUNT_PATH,
    DuitkuSimulator,
    SimulatorConfig,
    build_simulator,
)
from entrypoints.duitku_simulator.callbacks import build_callback_form
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

BASE_URL = "http://testserver.local"
STAFF = {"Authorization": "Bearer alice-token-0123456789"}
WEBHOOK = "/api/v1/webhooks/duitku"
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": None}
QUICK_RETRIES = 5  # as Duitku: five attempts, here 10 ms apart


class _LateBoundApp:
    """The simulator's callbacks go to the app, which is built after the simulator."""

    def __init__(self) -> None:
        self.target: Litestar | None = None

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        assert self.target is not None
        await self.target(scope, receive, send)  # type: ignore[arg-type]


@dataclass
class Service:
    client: AsyncTestClient[Litestar]
    container: Container
    simulator: DuitkuSimulator
    clock: SettableClock

    async def pending_qris(self) -> tuple[int, str]:
        item = await self.client.post(
            "/api/v1/menu-items", json={"name": "Nasi goreng", "price": 25_000}, headers=STAFF
        )
        placed = await self.client.post(
            "/api/v1/orders", json={"items": [{"menu_item_id": item.json()["id"], "quantity": 2}]}
        )
        order = placed.json()
        started = await self.client.post(
            "/api/v1/payments/qris",
            json={"order_id": order["id"], "amount": order["total"], "customer_details": CUSTOMER},
            headers={"X-Order-Token": order["access_token"]},
        )
        assert started.status_code == 201, started.text
        return order["id"], started.json()["order_uid"]

    async def order_status(self, order_id: int) -> str:
        response = await self.client.get(f"/api/v1/orders/{order_id}", headers=STAFF)
        status: str = response.json()["status"]
        return status


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'kasir.db'}",
        duitku_env="simulator",
        kasir_staff_tokens="alice:alice-token-0123456789",
        public_base_url=BASE_URL,
        reconcile_interval_seconds=0.02,
    )
    await upgrade_database(settings.database_url)
    container = build_container(settings)
    duitku = container.duitku_config()
    app_slot = _LateBoundApp()
    simulator = build_simulator(
        SimulatorConfig(
            merchant_code=duitku.merchant_code,
            api_key=duitku.api_key,
            public_base_url=f"{BASE_URL}{DEFAULT_MOUNT_PATH}",
            **gateways.simulator_signatures(settings),
            max_callback_attempts=QUICK_RETRIES,
            callback_retry_delay_s=0.01,
            callback_timeout_s=5.0,
        ),
        callback_transport=httpx.ASGITransport(app=app_slot),
    )
    replace(container, simulator=simulator)
    clock = SettableClock(datetime.now(UTC))
    replace(container, clock=clock)
    app = create_app(container, background_jobs=True)
    app_slot.target = app
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        yield Service(client, container, simulator, clock)


async def test_a_callback_ahead_of_duitkus_status_and_its_quick_retry_are_confirmed_by_kasir(
    service: Service,
) -> None:
    order_id, uid = await service.pending_qris()
    config = service.simulator.config
    # Duitku's callback arrives while its transactionStatus still says pending.
    early_form = build_callback_form(
        service.simulator.inspect(uid),
        result_code="00",
        api_key=config.api_key,
        scheme=config.callback_signature,
        payer=None,
    )
    early = await service.client.post(WEBHOOK, data=early_form)
    service.clock.advance(timedelta(seconds=10))
    paid_at = service.clock.now()

    # Duitku's status now shows it paid, and its callback comes again, 10 s after the first.
    paid = await service.client.post(f"{DEFAULT_MOUNT_PATH}/control/transactions/{uid}/pay")

    assert early.status_code == 200, early.text
    assert early.json()["outcome"] == "scheduled"
    deliveries = paid.json()["callback_deliveries"]
    assert [d["status_code"] for d in deliveries] == [200]  # no retry needed, no e-mail
    assert await service.order_status(order_id) == "awaiting_payment"
    # kasir's own check runs when the budget allows: 20 s after the payment here.
    service.clock.advance(timedelta(seconds=19))
    await asyncio.sleep(0.2)
    assert await service.order_status(order_id) == "awaiting_payment"
    service.clock.advance(timedelta(seconds=1))
    async with asyncio.timeout(10):
        while await service.order_status(order_id) != "paid":  # noqa: ASYNC110 - app thread
            await asyncio.sleep(0.02)
    assert service.clock.now() - paid_at <= timedelta(seconds=30)
    payment = (await service.client.get(f"/api/v1/payments/{uid}")).json()
    assert payment["status"] == "succeeded"
