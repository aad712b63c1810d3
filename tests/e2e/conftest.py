"""The whole service over HTTP: composition root, Litestar app, SQLite file, and a gateway.

Two stacks, each built fresh for every test (never shared between tests):

- `api`: the default configuration (`DUITKU_ENV=simulator`) with the Duitku simulator mounted
  at `/simulator/duitku`. The simulator's callbacks are routed in-process back into the same
  app, so "the payer pays" is one `POST .../control/transactions/{uid}/pay` and the whole
  chain (inquiry, callback, transactionStatus) runs through real HTTP handling.
- `fake_api`: the same app with `container.gateway` overridden by a `FakePaymentGateway`,
  which proves the gateway is swapped by container wiring alone, and lets a test script
  failures and count the status checks. Its notifications are verified by the production
  Duitku verifier (`gateways.fake_gateway`), never by code of the fake's own.

Both stacks can check an answer against the app's own OpenAPI document (`documented`), read
the committed rows straight from the SQLite file (`snapshot`, to prove that nothing changed),
and check the one error shape (`error`).

Test modules import the stack classes only for type checking (`if TYPE_CHECKING:`): at run
time the fixtures hand them out, so nothing here is imported as a module.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from litestar import Litestar
from litestar.testing import AsyncTestClient
from schemathesis.schemas import BaseSchema
from tests.support.cheap_passwords import cheap_passwords
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.sqlalchemy.migrate import upgrade_database
from entrypoints import gateways
from entrypoints.container import Container, build_container
from entrypoints.duitku_simulator import (
    DEFAULT_MOUNT_PATH,
    DuitkuSimulator,
    SimulatorConfig,
    build_simulator,
)
from entrypoints.http.app import create_app
from entrypoints.midtrans_simulator import DEFAULT_MOUNT_PATH as MIDTRANS_MOUNT_PATH
from entrypoints.midtrans_simulator import (
    MidtransSimulator,
    MidtransSimulatorConfig,
    build_midtrans_simulator,
)
from entrypoints.settings import DuitkuEnv, Settings, load_settings

BASE_URL = "http://testserver.local"
STAFF_NAME = "alice"
STAFF_TOKEN = "alice-token-0123456789"
STAFF_HEADERS = {"Authorization": f"Bearer {STAFF_TOKEN}"}
ORDER_TOKEN_HEADER = "X-Order-Token"
WEBHOOK_PATH = "/api/v1/webhooks/duitku"
FAKE_MERCHANT_CODE = "E2EFAKE"
# The tables that hold orders and money. The notification inbox is left out: it is a log that
# records every notification received, verified or not, by design.
BUSINESS_TABLES = ("menu_items", "orders", "order_lines", "payments")
CUSTOMER: dict[str, Any] = {
    "name": "Budi Santoso",
    "email": "budi@example.test",
    "phone": "081234567890",
}

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """An order placed through the API, with the access token it was handed out with."""

    id: int
    token: str
    total: int

    @property
    def headers(self) -> dict[str, str]:
        return {ORDER_TOKEN_HEADER: self.token}


@dataclass(slots=True)
class Stack:
    """A running app, its container and its database file, with helpers to drive the API."""

    client: AsyncTestClient[Litestar]
    container: Container
    database: Path
    staff: dict[str, str] = field(default_factory=lambda: dict(STAFF_HEADERS))
    _openapi: tuple[dict[str, Any], BaseSchema] | None = field(default=None, init=False, repr=False)

    async def add_menu_item(self, name: str = "Nasi goreng", price: int = 25_000) -> int:
        response = await self.client.post(
            "/api/v1/menu-items", json={"name": name, "price": price}, headers=self.staff
        )
        assert response.status_code == 201, response.text
        item_id: int = response.json()["id"]
        return item_id

    async def open_shift(
        self, opening_float: int = 0, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Open the shift of the staff member `headers` authenticate (alice by default)."""
        response = await self.client.post(
            "/api/v1/shifts", json={"opening_float": opening_float}, headers=headers or self.staff
        )
        assert response.status_code == 201, response.text
        shift: dict[str, Any] = response.json()
        return shift

    async def place_order(self, *lines: tuple[int, int], table: str = "7") -> PlacedOrder:
        """Place an order of `(menu_item_id, quantity)` lines; one new item, twice, if none."""
        if not lines:
            lines = ((await self.add_menu_item(), 2),)
        response = await self.client.post(
            "/api/v1/orders",
            json={
                "items": [{"menu_item_id": item, "quantity": qty} for item, qty in lines],
                "table_number": table,
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return PlacedOrder(id=body["id"], token=body["access_token"], total=body["total"])

    async def start_qris(
        self,
        order: PlacedOrder,
        *,
        amount: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST /payments/qris for `order` with its own token (unless `headers` is given)."""
        return await self.client.post(
            "/api/v1/payments/qris",
            json={
                "order_id": order.id,
                "amount": order.total if amount is None else amount,
                "customer_details": CUSTOMER,
            },
            headers=order.headers if headers is None else headers,
        )

    async def started_qris(self, order: PlacedOrder) -> str:
        """Start a QRIS payment that must succeed; its order_uid."""
        response = await self.start_qris(order)
        assert response.status_code == 201, response.text
        attempt_id: str = response.json()["order_uid"]
        return attempt_id

    async def order(self, order_id: int) -> dict[str, Any]:
        """The order as staff read it."""
        response = await self.client.get(f"/api/v1/orders/{order_id}", headers=self.staff)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def payment(self, attempt_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/payments/{attempt_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def notify(self, fields: dict[str, str]) -> httpx.Response:
        """POST a form-encoded payment notification to the webhook, as Duitku does."""
        return await self.client.post(WEBHOOK_PATH, data=fields)

    def snapshot(self, tables: tuple[str, ...] = BUSINESS_TABLES) -> dict[str, list[str]]:
        """Every row of `tables`, read straight from the SQLite file (committed data only).

        Read with the standard sqlite3 module so it never touches the app's engine, which lives
        on the test client's event loop.
        """
        with closing(sqlite3.connect(self.database)) as connection:
            return {
                table: sorted(
                    repr(row)
                    for row in connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608
                )
                for table in tables
            }

    def count(self, table: str) -> int:
        with closing(sqlite3.connect(self.database)) as connection:
            (rows,) = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
            return int(rows)

    def next_check_at(self, attempt_id: str) -> datetime | None:
        """The committed due time of the attempt's next status check, read from the file."""
        with closing(sqlite3.connect(self.database)) as connection:
            [(value,)] = connection.execute(
                "SELECT next_check_at FROM payments WHERE order_uid = ?", (attempt_id,)
            ).fetchall()
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)

    def flag_for_review(self, attempt_id: str) -> None:
        """Hand the attempt to staff, as the job does when it gives up on it."""
        with closing(sqlite3.connect(self.database)) as connection, connection:
            connection.execute(
                "UPDATE payments SET review_required_at = ?, review_reason = ? WHERE order_uid = ?",
                ("2026-01-01 00:00:00.000000", "flagged by the test", attempt_id),
            )

    async def documented(self, response: httpx.Response, operation: str) -> None:
        """Assert the app's OpenAPI document lists this status for `operation` ("POST /path"),
        and that the body matches the schema documented for it."""
        if self._openapi is None:
            document = (await self.client.get("/schema/openapi.json")).json()
            self._openapi = document, schemathesis.openapi.from_dict(document)
        document, schema = self._openapi
        method, path = operation.split(" ", 1)
        statuses = document["paths"][path][method.lower()]["responses"]
        assert str(response.status_code) in statuses, (
            f"{operation} answered {response.status_code}, documented: {sorted(statuses)}"
        )
        schema[path][method].validate_response(response)

    @staticmethod
    def error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
        """Assert `response` is an error in the one error shape; its `error` object."""
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"error"}, body
        error: dict[str, Any] = body["error"]
        assert set(error) == {"code", "message", "details"}, error
        assert isinstance(error["message"], str)
        assert error["message"]
        assert "Traceback" not in response.text
        if code is not None:
            assert error["code"] == code, error
        return error


@dataclass(slots=True)
class SimulatorStack(Stack):
    """The default stack: the Duitku simulator mounted in the app, callbacks in-process.

    With Midtrans configured too (`gateway_api`), its simulator is mounted beside Duitku's;
    `gateway` names the one that issues new attempts, and `pay`/`fail`/`expire`/`set_faults`
    drive that one's simulator through the control routes both simulators share.
    """

    simulator: DuitkuSimulator = field(kw_only=True)
    midtrans: MidtransSimulator | None = field(default=None, kw_only=True)
    gateway: str = field(default="duitku", kw_only=True)
    callbacks_to: LateBoundApp = field(kw_only=True)  # where the simulators' callbacks go

    @property
    def mount(self) -> str:
        return MIDTRANS_MOUNT_PATH if self.gateway == "midtrans" else DEFAULT_MOUNT_PATH

    async def pay(self, attempt_id: str, **options: Any) -> httpx.Response:
        """The payer pays the QR; the simulator sends its callback and answers with it."""
        return await self.client.post(
            f"{self.mount}/control/transactions/{attempt_id}/pay", json=options or None
        )

    async def fail(self, attempt_id: str) -> httpx.Response:
        return await self.client.post(f"{self.mount}/control/transactions/{attempt_id}/fail")

    async def set_faults(self, **faults: Any) -> None:
        response = await self.client.post(f"{self.mount}/control/faults", json=faults)
        assert response.status_code == 200, response.text

    async def at_gateway(self, attempt_id: str) -> dict[str, Any]:
        """The transaction as the issuing gateway's simulator holds it (control view)."""
        response = await self.client.get(f"{self.mount}/control/transactions/{attempt_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@dataclass(slots=True)
class FakeStack(Stack):
    """The app with the in-memory fake gateway wired in place of Duitku, on a settable clock."""

    gateway: FakePaymentGateway = field(kw_only=True)
    clock: SettableClock = field(kw_only=True)

    def notification(self, attempt_id: str, **overrides: Any) -> dict[str, str]:
        """The gateway's correctly signed notification for `attempt_id`."""
        return self.gateway.notification_for(attempt_id, **overrides)


class LateBoundApp:
    """An ASGI app forwarding to one set later.

    The simulator needs its callback transport when it is built, the transport needs the app,
    and the app needs the simulator: this breaks the cycle.
    """

    def __init__(self) -> None:
        self.target: Litestar | None = None

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        assert self.target is not None, "the app is not built yet"
        await self.target(scope, receive, send)  # type: ignore[arg-type]


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "e2e.db"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Extra settings for the stacks; a test module overrides this fixture to change them."""
    return {}


def e2e_settings(database: Path, duitku_env: DuitkuEnv, overrides: dict[str, Any]) -> Settings:
    return load_settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        duitku_env=duitku_env,
        kasir_staff_tokens=f"{STAFF_NAME}:{STAFF_TOKEN}",
        public_base_url=BASE_URL,
        **overrides,
    )


@pytest.fixture
async def api(
    database_path: Path, settings_overrides: dict[str, Any]
) -> AsyncIterator[SimulatorStack]:
    """The default stack: SQLite file, the simulator mounted, its callbacks routed to the app."""
    async with simulator_stack(database_path, settings_overrides) as stack:
        yield stack


GATEWAYS = ("duitku", "midtrans")


@pytest.fixture(params=GATEWAYS)
async def gateway_api(
    request: pytest.FixtureRequest, database_path: Path, settings_overrides: dict[str, Any]
) -> AsyncIterator[SimulatorStack]:
    """Both gateways configured at once (both simulators mounted), once with each issuing
    new attempts (QRIS_GATEWAY): the main payment flows run once per gateway."""
    gateway: str = request.param
    overrides = {"qris_gateway": gateway, "midtrans_env": "simulator", **settings_overrides}
    async with simulator_stack(database_path, overrides) as stack:
        yield stack


@asynccontextmanager
async def simulator_stack(
    database_path: Path,
    overrides: dict[str, Any],
    *,
    keep: SimulatorStack | None = None,
) -> AsyncIterator[SimulatorStack]:
    """A simulator stack on `database_path`; with `keep`, one that takes over `keep`'s
    simulators (the same gateways' state: a restart with other settings)."""
    settings = e2e_settings(database_path, "simulator", overrides)
    await upgrade_database(settings.database_url)
    container = cheap_passwords(build_container(settings))
    duitku = container.duitku_config()
    app_slot = LateBoundApp() if keep is None else keep.callbacks_to
    callbacks = httpx.ASGITransport(app=app_slot)
    simulator = (
        keep.simulator
        if keep is not None
        else build_simulator(
            SimulatorConfig(
                merchant_code=duitku.merchant_code,
                api_key=duitku.api_key,
                public_base_url=f"{BASE_URL}{DEFAULT_MOUNT_PATH}",
                **gateways.simulator_signatures(settings),
                max_callback_attempts=3,
                callback_retry_delay_s=0.01,
                callback_timeout_s=5.0,
                timeout_sleep_s=1.0,
            ),
            callback_transport=callbacks,
        )
    )
    midtrans_config = container.midtrans_config()
    midtrans = None if keep is None else keep.midtrans
    if midtrans_config is not None and midtrans is None:
        midtrans = build_midtrans_simulator(
            MidtransSimulatorConfig(
                server_key=midtrans_config.server_key,
                public_base_url=f"{BASE_URL}{MIDTRANS_MOUNT_PATH}",
                default_notification_url=midtrans_config.notification_url,
                max_callback_attempts=3,
                callback_retry_delay_s=0.01,
                timeout_sleep_s=1.0,
            ),
            callback_transport=callbacks,
        )
    # Before create_app: the app mounts the simulators, and the HTTP clients the gateways
    # use are built around the same ones.
    replace(container, simulator=simulator, midtrans_simulator=midtrans)
    app = create_app(container)
    app_slot.target = app
    assert container.simulator() is simulator
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        stack = SimulatorStack(
            client,
            container,
            database_path,
            simulator=simulator,
            midtrans=midtrans,
            gateway=settings.qris_gateway,
            callbacks_to=app_slot,
        )
        if keep is None:  # a fresh database: alice's drawer, for the cash she takes
            await stack.open_shift()
        yield stack


@pytest.fixture
async def fake_api(
    database_path: Path, settings_overrides: dict[str, Any]
) -> AsyncIterator[FakeStack]:
    """The same service with the fake gateway (and a settable clock) wired in by overrides."""
    settings = e2e_settings(database_path, "fake", settings_overrides)
    await upgrade_database(settings.database_url)
    container = cheap_passwords(build_container(settings))
    # Creates and status checks on the fake; notifications through the production verifier.
    gateway = gateways.fake_gateway(merchant_code=FAKE_MERCHANT_CODE)
    clock = SettableClock(datetime.now(UTC))
    replace(container, gateway=gateway, clock=clock)
    app = create_app(container)
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        stack = FakeStack(client, container, database_path, gateway=gateway, clock=clock)
        await stack.open_shift()  # alice's drawer: the cash she takes goes into it
        yield stack
