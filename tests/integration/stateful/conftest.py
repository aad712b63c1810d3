"""The real stack the money-invariant state machine drives, how it reads the truth, and the
databases it runs on (a migrated SQLite template copied per example; one PostgreSQL database
per session, emptied per example).

kasir's Litestar app with its real container (SQL unit of work on SQLite or PostgreSQL, the
production Duitku adapter and verifier), the Duitku simulator mounted in it with fault
injection, its callbacks routed in-process back into the app, and one settable clock for both.
Nothing is replaced: the only changes from a service built from the environment are tuning
knobs (short client timeouts, no real waits between polls or callback retries) so that a few
hundred steps run in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, cast

import httpx
import pytest
from dependency_injector import providers
from litestar import Litestar
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from tests.integration.stateful.gateway_drivers import (
    DuitkuDriver,
    Forgery,
    GatewayDriver,
    MidtransDriver,
)
from tests.support.overrides import replace

from adapters.duitku.gateway import DuitkuPaymentGateway
from adapters.in_memory.clock import SettableClock
from adapters.midtrans.config import MidtransConfig
from adapters.midtrans.gateway import MidtransPaymentGateway
from adapters.observability.metrics import InstrumentedGateway
from adapters.sqlalchemy.migrate import upgrade_database
from adapters.sqlalchemy.schema import metadata
from adapters.sqlalchemy.tables import notification_inbox, orders, payments
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from entrypoints import gateways
from entrypoints.background import run_pass
from entrypoints.container import Container, build_container, forget_wiring
from entrypoints.duitku_simulator import (
    DEFAULT_MOUNT_PATH,
    DuitkuSimulator,
    SimulatorConfig,
    build_simulator,
)
from entrypoints.http.app import create_app
from entrypoints.http.lifespan import resources
from entrypoints.midtrans_simulator import DEFAULT_MOUNT_PATH as MIDTRANS_MOUNT_PATH
from entrypoints.midtrans_simulator import (
    MidtransSimulator,
    MidtransSimulatorConfig,
    build_midtrans_simulator,
)
from entrypoints.settings import load_settings

BASE_URL = "http://kasir.test"
STAFF_TOKEN = "cashier-token-0123456789"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

Message = MutableMapping[str, Any]


class LateBoundApp:
    """The simulator needs its callback transport before the app exists; this breaks the
    cycle by forwarding to the app once it is built."""

    def __init__(self) -> None:
        self.target: Litestar | None = None

    async def __call__(
        self,
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        assert self.target is not None
        await self.target(scope, receive, send)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """A payment as committed in the database (only the columns the invariants read)."""

    attempt_id: str
    order_id: int
    method: str
    status: str
    amount: int
    created_at: datetime
    expires_at: datetime | None
    refund_required_at: datetime | None
    review_required_at: datetime | None
    status_checked_at: datetime | None
    next_check_at: datetime | None


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    status: str
    total: int
    paid_by: str | None


@dataclass(slots=True)
class Truth:
    """kasir's committed money state, read straight from its database."""

    orders: dict[int, OrderRow] = field(default_factory=dict)
    payments: dict[str, PaymentRow] = field(default_factory=dict)
    flagged_notifications: set[str] = field(default_factory=set)

    def money_state(self) -> tuple[object, ...]:
        """What must not change when a forged notification arrives: order states, who paid
        them, the successes and the refunds to make."""
        return (
            sorted((o.id, o.status, o.paid_by) for o in self.orders.values()),
            sorted(
                (p.attempt_id, p.status, p.amount, p.refund_required_at is not None)
                for p in self.payments.values()
                if p.status == "succeeded" or p.refund_required_at is not None
            ),
        )


@dataclass(slots=True)
class Stack:
    """One running service + simulator on one database, driven over HTTP in-process."""

    container: Container
    app: Litestar
    driver: GatewayDriver  # the simulator of the gateway that issues the attempts
    simulators: tuple[DuitkuSimulator, MidtransSimulator]
    clock: SettableClock
    client: httpx.AsyncClient
    engine: AsyncEngine
    exits: AsyncExitStack

    @classmethod
    async def start(cls, database_url: str, gateway: str) -> Stack:
        """Both gateways configured and mounted; `gateway` issues the attempts."""
        clock = SettableClock(START)
        settings = load_settings(
            database_url=database_url,
            duitku_env="simulator",
            midtrans_env="simulator",
            qris_gateway=gateway,
            kasir_staff_tokens=f"cashier:{STAFF_TOKEN}",
            public_base_url=BASE_URL,
            # The machine is one client sending many requests and forgeries: per-address
            # limits would only turn its later steps into 429s.
            rate_limit_create_per_minute=0,
            rate_limit_rejected_callbacks_per_minute=0,
            reconcile_interval_seconds=0,
        )
        container = build_container(settings)
        replace(container, clock=clock)
        # A lost create answer (the simulator's timeout fault) costs 0.3 s instead of 30 s,
        # and status-check retries do not sleep.
        duitku = dataclasses.replace(
            container.duitku_config(),
            total_timeout=0.3,
            status_retry_initial_wait=0.001,
            status_retry_max_wait=0.002,
        )
        replace(container, duitku_config=duitku)
        midtrans = dataclasses.replace(
            cast(MidtransConfig, container.midtrans_config()),
            total_timeout=0.3,
            status_retry_initial_wait=0.001,
            status_retry_max_wait=0.002,
        )
        replace(container, midtrans_config=midtrans)
        # Only one request runs at a time here, so no concurrent status check can be waited
        # for: do not sleep 50 ms per poll for one.
        cast(providers.Singleton[Any], container.handle_payment_notification).add_kwargs(
            concurrent_check_polls=2, concurrent_check_poll_interval=0.0
        )
        app_slot = LateBoundApp()
        simulator = build_simulator(
            SimulatorConfig(
                merchant_code=duitku.merchant_code,
                api_key=duitku.api_key,
                public_base_url=f"{BASE_URL}{DEFAULT_MOUNT_PATH}",
                **gateways.simulator_signatures(settings),
                max_callback_attempts=2,
                callback_retry_delay_s=0.0,
                timeout_sleep_s=5.0,
            ),
            clock=clock.now,
            callback_transport=httpx.ASGITransport(app=cast(Any, app_slot)),
        )
        midtrans_simulator = build_midtrans_simulator(
            MidtransSimulatorConfig(
                server_key=midtrans.server_key,
                public_base_url=f"{BASE_URL}{MIDTRANS_MOUNT_PATH}",
                default_notification_url=midtrans.notification_url,
                max_callback_attempts=2,
                callback_retry_delay_s=0.0,
                timeout_sleep_s=5.0,
            ),
            clock=clock.now,
            callback_transport=httpx.ASGITransport(app=cast(Any, app_slot)),
        )
        replace(container, simulator=simulator, midtrans_simulator=midtrans_simulator)
        driver: GatewayDriver = (
            MidtransDriver(midtrans_simulator) if gateway == "midtrans" else DuitkuDriver(simulator)
        )
        app = create_app(container)
        app_slot.target = app
        exits = AsyncExitStack()
        await exits.enter_async_context(resources(container)(app))
        client = await exits.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=cast(Any, app)), base_url=BASE_URL, timeout=10
            )
        )
        stack = cls(
            container,
            app,
            driver,
            (simulator, midtrans_simulator),
            clock,
            client,
            container.engine(),
            exits,
        )
        stack.assert_real_adapters(database_url)
        return stack

    def assert_real_adapters(self, database_url: str) -> None:
        """The proof runs on production code: SQL unit of work on the asked database, the
        issuing gateway's adapter (and its verifier) over HTTP to its simulator, one clock."""
        container = self.container
        assert isinstance(container.uow(), SqlAlchemyUnitOfWorkFactory)
        assert self.engine.dialect.name == database_url.split("+", 1)[0]
        midtrans = self.driver.name == "midtrans"
        gateway = container.midtrans() if midtrans else container.gateway()
        assert isinstance(gateway, InstrumentedGateway)
        adapter = MidtransPaymentGateway if midtrans else DuitkuPaymentGateway
        assert isinstance(vars(gateway)["_inner"], adapter)
        assert container.handle_payment_notification().gateways.issuing is gateway
        assert container.simulator() is self.simulators[0]
        assert container.midtrans_simulator() is self.simulators[1]
        assert container.clock() is self.clock

    async def close(self) -> None:
        await self.exits.aclose()

    async def reset(self) -> None:
        """A fresh start for the next example: empty database, simulator and status-check
        memory, the clock back at the start. Building the app anew costs ~0.3 s, which
        would make shrinking a failure take minutes."""
        await empty_database(self.engine)
        for simulator in self.simulators:
            simulator.reset()
        self.clock.set(START)
        cast(providers.Singleton[Any], self.container.status_checks_in_flight).reset()
        forget_wiring(self.container)  # the reconciler holds the status checks in flight
        await self.open_drawer()

    async def open_drawer(self) -> None:
        """The cashier's shift: every cash payment goes into it."""
        opened = await self.client.post(
            "/api/v1/shifts", json={"opening_float": 0}, headers=self.staff
        )
        assert opened.status_code == 201, opened.text

    # --- driving -------------------------------------------------------------------------

    staff: ClassVar[dict[str, str]] = STAFF

    async def control(self, path: str, body: Any = None) -> httpx.Response:
        """A call to the issuing simulator's control API (pay, fail, callbacks, faults...)."""
        return await self.client.post(f"{self.driver.mount}/control/{path}", json=body)

    async def control_view(self, uid: str) -> dict[str, Any]:
        response = await self.client.get(f"{self.driver.mount}/control/transactions/{uid}")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    async def reset_faults(self) -> None:
        response = await self.client.delete(f"{self.driver.mount}/control/faults")
        assert response.status_code == 200, response.text

    async def start_qris(
        self, order_id: int, total: int, token: str, key: str | None
    ) -> httpx.Response:
        headers = {"X-Order-Token": token}
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(
            "/api/v1/payments/qris",
            json={"order_id": order_id, "amount": total, "customer_details": CUSTOMER},
            headers=headers,
        )

    async def notify(self, forgery: Forgery) -> httpx.Response:
        """POST a notification to the issuing gateway's webhook, as a forger does."""
        return await self.client.post(self.driver.webhook_path, **forgery.post)

    def documented_statuses(self, method: str, path: str) -> frozenset[int]:
        """The statuses the app's OpenAPI document lists for one operation."""
        schema = self.app.openapi_schema.to_schema()
        return frozenset(int(code) for code in schema["paths"][path][method]["responses"])

    async def reconcile(self) -> dict[str, Any]:
        """One pass of the reconciliation job, as `kasir reconcile` and the service run it."""
        return await run_pass(self.container, owner="stateful-test", housekeeping=False)

    # --- reading the truth ---------------------------------------------------------------

    async def truth(self) -> Truth:
        truth = Truth()
        async with self.engine.connect() as connection:
            for row in await connection.execute(
                select(orders.c.id, orders.c.status, orders.c.total, orders.c.paid_by)
            ):
                truth.orders[row.id] = OrderRow(row.id, row.status, row.total, row.paid_by)
            for payment in await connection.execute(
                select(
                    payments.c.order_uid.label("attempt_id"),
                    payments.c.order_id,
                    payments.c.method,
                    payments.c.status,
                    payments.c.amount,
                    payments.c.created_at,
                    payments.c.expires_at,
                    payments.c.refund_required_at,
                    payments.c.review_required_at,
                    payments.c.status_checked_at,
                    payments.c.next_check_at,
                )
            ):
                truth.payments[payment.attempt_id] = PaymentRow(**payment._mapping)
            for (uid,) in await connection.execute(
                select(notification_inbox.c.order_uid).where(
                    notification_inbox.c.needs_review.is_(True),
                    notification_inbox.c.reviewed_at.is_(None),
                )
            ):
                if uid:
                    truth.flagged_notifications.add(uid)
        return truth


async def empty_database(engine: AsyncEngine) -> None:
    """Every table emptied (whatever later migrations add), the migrations' own table kept,
    ids starting at 1 again."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            listed = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        else:
            listed = "SELECT name FROM sqlite_master WHERE type = 'table'"
        names = {name for (name,) in await connection.execute(text(listed))}
        names -= {"alembic_version", "sqlite_sequence"}
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in sorted(names))
            await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            return
        # Children before parents (foreign keys are on); tables the metadata does not know
        # (added by a later migration) first.
        known = [table.name for table in reversed(metadata.sorted_tables) if table.name in names]
        for name in [*sorted(names - set(known)), *known]:
            await connection.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608
        if await connection.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ):
            await connection.execute(text("DELETE FROM sqlite_sequence"))


def _run_in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    # Away from any loop of the test session (pytest-asyncio may have one running).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(statement))
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class RunningStack:
    """A stack and the event loop it lives on (its database connections belong to it)."""

    loop: asyncio.AbstractEventLoop
    stack: Stack


@contextlib.contextmanager
def running_stack(database_url: str, gateway: str) -> Iterator[RunningStack]:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(upgrade_database(database_url))
        stack = loop.run_until_complete(Stack.start(database_url, gateway))
        try:
            yield RunningStack(loop, stack)
        finally:
            loop.run_until_complete(stack.close())
    finally:
        loop.close()


@pytest.fixture
def gateway() -> str:
    """The gateway issuing the attempts; tests parametrize it to run once per gateway."""
    return "duitku"


@pytest.fixture
def sqlite_stack(tmp_path: Path, gateway: str) -> Iterator[RunningStack]:
    """The stack on a migrated SQLite file of this test's own."""
    with running_stack(f"sqlite+aiosqlite:///{tmp_path / 'kasir.db'}", gateway) as running:
        yield running


@pytest.fixture
def postgres_stack(gateway: str) -> Iterator[RunningStack]:
    """The stack on a migrated PostgreSQL database of this test's own, dropped afterwards;
    a skip saying why PostgreSQL cannot be used (a failure with KASIR_REQUIRE_POSTGRES=1)."""
    admin_url = os.environ.get("KASIR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        _run_in_thread(_admin(admin_url, "SELECT 1"))
    except Exception as error:
        reason = f"PostgreSQL not reachable: {type(error).__name__}: {error}"
        if os.environ.get("KASIR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"KASIR_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    name = f"kasir_stateful_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _run_in_thread(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        with running_stack(url, gateway) as running:
            yield running
    finally:
        _run_in_thread(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
