"""The reconciliation job as the service runs it: an asyncio task of the app's lifespan, only
when asked; `kasir reconcile` for one pass from the command line; the staff review list."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.sqlalchemy.migrate import upgrade_database
from entrypoints import cli, gateways
from entrypoints.background import ReconciliationLoop
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack


BASE_URL = "http://testserver.local"
STAFF = {"Authorization": "Bearer alice-token-0123456789"}
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": None}


@dataclass
class Service:
    app: Litestar
    client: AsyncTestClient[Litestar]
    container: Container
    gateway: FakePaymentGateway
    clock: SettableClock
    database: Path

    async def issued_qris(self) -> tuple[int, str, datetime]:
        """A placed order and its pending QRIS attempt: order id, order_uid, expiry."""
        item = await self.client.post(
            "/api/v1/menu-items", json={"name": "Nasi goreng", "price": 25_000}, headers=STAFF
        )
        order = await self.client.post(
            "/api/v1/orders", json={"items": [{"menu_item_id": item.json()["id"], "quantity": 2}]}
        )
        body = order.json()
        started = await self.client.post(
            "/api/v1/payments/qris",
            json={"order_id": body["id"], "amount": body["total"], "customer_details": CUSTOMER},
            headers={"X-Order-Token": body["access_token"]},
        )
        assert started.status_code == 201, started.text
        attempt = started.json()
        return body["id"], attempt["order_uid"], datetime.fromisoformat(attempt["expires_at"])

    def next_check_at(self, attempt_id: str) -> str | None:
        """The job's schedule of one attempt, read from the database file (committed only)."""
        with closing(sqlite3.connect(self.database)) as connection:
            [(value,)] = connection.execute(
                "SELECT next_check_at FROM payments WHERE order_uid = ?", (attempt_id,)
            ).fetchall()
            return None if value is None else str(value)

    async def order_status(self, order_id: int) -> str:
        status: str = (await self.client.get(f"/api/v1/orders/{order_id}", headers=STAFF)).json()[
            "status"
        ]
        return status


def service_container(database: Path, **settings: Any) -> Container:
    return build_container(
        load_settings(
            database_url=f"sqlite+aiosqlite:///{database}",
            duitku_env="fake",
            kasir_staff_tokens="alice:alice-token-0123456789",
            public_base_url=BASE_URL,
            **settings,
        )
    )


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    """The service with its background job on, every 20 ms, on the fake gateway and clock."""
    database = tmp_path / "job.db"
    container = service_container(database, reconcile_interval_seconds=0.02)
    await upgrade_database(container.settings().database_url)
    gateway = gateways.fake_gateway(merchant_code="E2EFAKE")
    clock = SettableClock(datetime.now(UTC))
    replace(container, gateway=gateway, clock=clock)
    app = create_app(container, background_jobs=True)
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        yield Service(app, client, container, gateway, clock, database)


async def eventually(check: Any) -> None:
    """Wait (at most 10 s) for the background task, which runs on the test client's loop."""
    async with asyncio.timeout(10):
        while not await check():  # noqa: ASYNC110 - the job's task lives on another loop
            await asyncio.sleep(0.02)


async def test_the_job_does_not_start_unless_the_app_is_asked(fake_api: FakeStack) -> None:
    assert "reconciliation_loop" not in fake_api.client.app.state


async def test_the_job_started_with_the_service_recovers_a_lost_callback(
    service: Service,
) -> None:
    order_id, attempt_id, expires_at = await service.issued_qris()
    service.gateway.pay(attempt_id)  # paid, and the callback is lost

    service.clock.set(expires_at + timedelta(minutes=2))

    async def paid() -> bool:
        return await service.order_status(order_id) == "paid"

    await eventually(paid)
    assert service.gateway.status_checks == [attempt_id]


async def test_the_job_is_cancelled_cleanly_when_the_service_stops(tmp_path: Path) -> None:
    container = service_container(tmp_path / "stop.db", reconcile_interval_seconds=0.01)
    await upgrade_database(container.settings().database_url)
    app = create_app(container, background_jobs=True)

    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        assert (await client.get("/health")).status_code == 200
        task: asyncio.Task[None] = app.state.reconciliation_task
        loop: ReconciliationLoop = app.state.reconciliation_loop

        async def ran() -> bool:
            return loop.passes >= 2

        await eventually(ran)

    assert task.cancelled()
    assert loop.last_summary is not None
    assert loop.last_summary["reconciliation"]["checked"] == 0


async def test_an_interval_of_zero_turns_the_job_off(tmp_path: Path) -> None:
    container = service_container(tmp_path / "off.db", reconcile_interval_seconds=0)
    await upgrade_database(container.settings().database_url)
    app = create_app(container, background_jobs=True)

    async with AsyncTestClient(app=app, base_url=BASE_URL):
        assert "reconciliation_task" not in app.state


async def test_personal_data_is_removed_on_the_first_pass_and_then_about_hourly(
    fake_api: FakeStack,
) -> None:
    ticks = iter([0.0, 60.0, 3_599.0, 3_600.0])
    loop = ReconciliationLoop(fake_api.container, interval=60, monotonic=lambda: next(ticks))

    summaries = [await loop.run_once() for _ in range(4)]

    assert ["personal_data_removed" in s for s in summaries] == [True, False, False, True]
    assert all(s["idempotency_keys_purged"] == 0 for s in summaries)


async def test_attempts_the_job_gave_up_on_are_listed_for_staff(service: Service) -> None:
    _, attempt_id, expires_at = await service.issued_qris()  # the gateway keeps it pending
    loop: ReconciliationLoop = service.app.state.reconciliation_loop
    service.clock.set(expires_at + timedelta(minutes=2))

    async def checked() -> bool:
        return service.next_check_at(attempt_id) is not None

    await eventually(checked)
    service.clock.set(expires_at + timedelta(hours=24))

    async def flagged() -> bool:
        listed = await service.client.get("/api/v1/payments", headers=STAFF)
        return bool(listed.json()["needs_review"])

    await eventually(flagged)
    listed = (await service.client.get("/api/v1/payments", headers=STAFF)).json()
    [item] = listed["needs_review"]
    assert item["payment"]["order_uid"] == attempt_id
    assert item["payment"]["status"] == "pending"
    assert item["status_checks"] == 2
    assert "after its expiry" in item["reason"]
    assert loop.passes > 0


def test_kasir_reconcile_runs_one_pass_and_prints_a_json_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    asyncio.run(upgrade_database(url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DUITKU_ENV", "simulator")
    monkeypatch.setenv("DUITKU_BASE_URL", "http://127.0.0.1:9/webapi/api/merchant/")

    code = cli.main(["reconcile"])

    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["reconciliation"]["checked"] == 0
    assert summary["idempotency_keys_purged"] == 0
    assert summary["personal_data_removed"] == 0


@pytest.mark.parametrize(
    "environment",
    [
        {"DUITKU_ENV": "simulator"},
        {"DUITKU_ENV": "fake"},
        # Duitku outside the process, the mounted Midtrans simulator inside it.
        {
            "DUITKU_ENV": "simulator",
            "DUITKU_BASE_URL": "http://127.0.0.1:9/",
            "MIDTRANS_ENV": "simulator",
        },
    ],
)
def test_kasir_reconcile_refuses_a_gateway_that_lives_inside_the_serving_process(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("DUITKU_BASE_URL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    code = cli.main(["reconcile"])

    assert code == 2
    assert "_BASE_URL" in capsys.readouterr().err
