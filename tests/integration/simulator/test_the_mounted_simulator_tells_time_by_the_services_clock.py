"""In simulator mode kasir and its mounted simulator tell time by one clock: the container's.

A test that sets that clock moves both sides, so expiry, reconciliation slots and the
simulator's own lazy expiry agree without real waiting.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from adapters.sqlalchemy.migrate import upgrade_database
from entrypoints.container import build_container
from entrypoints.duitku_simulator.store import TransactionState
from entrypoints.http.app import create_app
from entrypoints.http.lifespan import resources
from entrypoints.settings import load_settings

STAFF_TOKEN = "clock-staff-token-0123456789"
CUSTOMER = {"name": "Budi", "email": "budi@example.test", "phone": None}


async def test_the_mounted_simulator_uses_the_containers_clock(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'kasir.db'}"
    await upgrade_database(database_url)
    container = build_container(
        load_settings(
            database_url=database_url,
            duitku_env="simulator",
            kasir_staff_tokens=f"staff:{STAFF_TOKEN}",
        )
    )
    clock = SettableClock(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
    replace(container, clock=clock)
    app = create_app(container)
    simulator = container.simulator()
    assert simulator is not None
    staff = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    transport = httpx.ASGITransport(app=cast(Any, app))
    async with (
        resources(container)(app),
        httpx.AsyncClient(transport=transport, base_url="http://kasir.test") as client,
    ):
        item = await client.post(
            "/api/v1/menu-items", json={"name": "Teh", "price": 15_000}, headers=staff
        )
        order = await client.post(
            "/api/v1/orders", json={"items": [{"menu_item_id": item.json()["id"], "quantity": 1}]}
        )
        started = await client.post(
            "/api/v1/payments/qris",
            json={"order_id": order.json()["id"], "amount": 15_000, "customer_details": CUSTOMER},
            headers={"X-Order-Token": order.json()["access_token"]},
        )
        assert started.status_code == 201, started.text
        transaction = simulator.inspect(started.json()["order_uid"])
        assert transaction.created_at == clock.now()
        assert transaction.expires_at == clock.now() + timedelta(minutes=10)

        clock.advance(timedelta(minutes=10))
        assert simulator.inspect(transaction.merchant_order_id).state is TransactionState.EXPIRED
