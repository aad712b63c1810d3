"""Property-based fuzzing of every operation in the API's own OpenAPI document (schemathesis).

Each operation gets a fresh container (fake gateway, SQLite file), seeded with a menu item, an
order awaiting payment with a pending QRIS attempt and a paid order, so small generated ids hit
real rows. Requests carry the staff token. Schemathesis generates valid (positive) and invalid
(negative) requests; every answer must be no 5xx, a documented status code, a documented
content type and headers, and a body matching its schema.

Runs on SQLite and on PostgreSQL (one throwaway database, emptied before each test), whose
driver refuses what SQLite stores (a NUL in text, an integer out of range). Bounded for CI: a
fixed number of examples per operation and mode (fewer on PostgreSQL), derandomized so a run is
reproducible (the same inputs for the same schema). Rate limits are off here: the limiter has
its own tests, and it would otherwise answer most generated requests with 429.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from tests.support.cheap_passwords import cheap_passwords
from tests.support.overrides import replace
from tests.support.resolvers import StaticResolver

from adapters.sqlalchemy.migrate import upgrade_database
from adapters.sqlalchemy.schema import metadata
from entrypoints import gateways
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

STAFF = {"Authorization": "Bearer alice-token-0123456789"}
EXAMPLES = {
    "sqlite": {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15},
    "postgres": {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 8},
}
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Every operation of the document, listed so each is its own test (and can carry a mark).
# `test_the_fuzz_covers_every_operation_in_the_document` fails when the document changes.
OPERATIONS = [
    "GET /health",
    "GET /ready",
    "GET /api/v1/menu-items",
    "POST /api/v1/menu-items",
    "PATCH /api/v1/menu-items/{item_id}",
    "GET /api/v1/orders",
    "POST /api/v1/orders",
    "GET /api/v1/orders/{order_id}",
    "POST /api/v1/orders/{order_id}/cancel",
    "POST /api/v1/orders/{order_id}/stream-token",
    "GET /api/v1/orders/{order_id}/events",
    "GET /api/v1/orders/{order_id}/receipt",
    "GET /api/v1/reports/daily",
    "GET /api/v1/payments",
    "POST /api/v1/payments/qris",
    "POST /api/v1/payments/cash",
    "GET /api/v1/payments/{order_uid}",
    "GET /api/v1/payments/{order_uid}/qris.png",
    "GET /api/v1/payments/{order_uid}/qris.svg",
    "POST /api/v1/payments/{order_uid}/refund/resolve",
    "POST /api/v1/payments/{order_uid}/review/resolve",
    "POST /api/v1/webhooks/duitku",
    "POST /api/v1/webhooks/midtrans",
    "GET /api/v1/notifications",
    "POST /api/v1/notifications/{entry_id}/reprocess",
    "POST /api/v1/notifications/{entry_id}/review",
    "GET /api/v1/webhook-subscriptions",
    "POST /api/v1/webhook-subscriptions",
    "PATCH /api/v1/webhook-subscriptions/{subscription_id}",
    "POST /api/v1/webhook-subscriptions/{subscription_id}/replay",
    "GET /api/v1/webhook-deliveries",
    "POST /api/v1/webhook-deliveries/{delivery_id}/replay",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/logout",
    "GET /api/v1/staff",
    "POST /api/v1/staff",
    "PATCH /api/v1/staff/{account_id}",
    "GET /api/v1/audit",
    "GET /pay/{order_id}",
    "GET /pay/{order_id}/status",
    "POST /pay/{order_id}/qr",
    "POST /api/v1/shifts",
    "GET /api/v1/shifts/current",
    "GET /api/v1/shifts/{shift_id}/report",
    "POST /api/v1/shifts/{shift_id}/cash-movements",
    "POST /api/v1/shifts/{shift_id}/close",
    "POST /api/v1/orders/{order_id}/refunds",
    "GET /api/v1/refunds",
    "POST /api/v1/refunds/{refund_id}/approve",
    "POST /api/v1/refunds/{refund_id}/reject",
]


@dataclass(frozen=True, slots=True)
class FuzzTarget:
    schema: BaseSchema
    backend: str

    def operation(self, label: str) -> APIOperation[Any, Any, Any, Any]:
        method, path = label.split(" ", 1)
        operation: APIOperation[Any, Any, Any, Any] = self.schema[path][method]
        return operation


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """One migrated PostgreSQL database for this module (emptied before each test), or a skip
    (a failure with KASIR_REQUIRE_POSTGRES=1) when the server cannot be reached."""
    admin_url = os.environ.get("KASIR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"kasir_fuzz_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    except Exception as error:  # unreachable server
        if os.environ.get("KASIR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"KASIR_REQUIRE_POSTGRES=1 but PostgreSQL is unusable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {type(error).__name__}")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(upgrade_database(url))
        yield url
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file, or the module's PostgreSQL one truncated."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
        asyncio.run(upgrade_database(url))
        return url
    postgres: str = request.getfixturevalue("postgres_url")
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    asyncio.run(_admin(postgres, f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return postgres


@pytest.fixture
def fuzz_target(database_url: str) -> Iterator[FuzzTarget]:
    """A fresh app for one test, loaded into schemathesis' in-process ASGI transport.

    Schemathesis runs the app (and its lifespan) on its own event-loop thread, so this
    fixture and the tests using it are synchronous.
    """
    url = database_url
    container = build_container(
        load_settings(
            database_url=url,
            duitku_env="fake",
            # Both gateways configured: the Midtrans webhook is fuzzed through its verifier.
            midtrans_env="fake",
            kasir_staff_tokens="alice:alice-token-0123456789",
            public_base_url="http://testserver.local",
            rate_limit_create_per_minute=0,
            rate_limit_rejected_callbacks_per_minute=0,
        )
    )
    replace(container, gateway=gateways.fake_gateway(merchant_code="E2EFAKE"))
    # Subscription URLs never reach the network's resolver: no name resolves.
    replace(container, resolver=StaticResolver())
    cheap_passwords(container)
    app = create_app(container)
    try:
        # Litestar types its scope as TypedDicts, narrower than schemathesis' plain dicts.
        with asgi.get_client(app) as client:  # type: ignore[arg-type]  # starts the lifespan
            _seed(client.post)
        backend = "sqlite" if url.startswith("sqlite") else "postgres"
        yield FuzzTarget(schemathesis.openapi.from_asgi("/schema/openapi.json", app), backend)
    finally:
        asgi.shutdown_lifespans()  # closes the engine and HTTP client of this app


def _seed(post: Callable[..., Any]) -> None:
    """Rows for generated ids to find: an order with a pending QRIS attempt, a paid order, an
    open shift and a refund of the paid order."""
    item = post("/api/v1/menu-items", json={"name": "Nasi goreng", "price": 25_000}, headers=STAFF)
    assert item.status_code == 201, item.text
    shift = post("/api/v1/shifts", json={"opening_float": 100_000}, headers=STAFF)
    assert shift.status_code == 201, shift.text
    lines = {"items": [{"menu_item_id": item.json()["id"], "quantity": 2}]}
    waiting = post("/api/v1/orders", json=lines)
    paid = post("/api/v1/orders", json=lines)
    assert waiting.status_code == paid.status_code == 201
    customer = {"name": "Budi", "email": "budi@example.test", "phone": None}
    qris = post(
        "/api/v1/payments/qris",
        json={"order_id": waiting.json()["id"], "amount": 50_000, "customer_details": customer},
        headers=STAFF,
    )
    cash = post(
        "/api/v1/payments/cash",
        json={"order_id": paid.json()["id"], "amount_tendered": 50_000},
        headers=STAFF,
    )
    assert (qris.status_code, cash.status_code) == (201, 201), (qris.text, cash.text)
    refund = post(
        f"/api/v1/orders/{paid.json()['id']}/refunds",
        json={"amount": 5_000, "reason": "cold soup"},
        headers=STAFF,
    )
    assert refund.status_code == 201, refund.text


def _has_inputs(operation: APIOperation[Any, Any, Any, Any]) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


def test_the_fuzz_covers_every_operation_in_the_document(fuzz_target: FuzzTarget) -> None:
    documented = []
    for result in fuzz_target.schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        documented.append(result.ok().label)
    documented.sort()

    assert documented == sorted(OPERATIONS)
    assert not [label for label in documented if "/simulator" in label]


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_generated_request_gets_a_documented_answer_and_no_5xx(
    fuzz_target: FuzzTarget, label: str
) -> None:
    operation = fuzz_target.operation(label)
    examples = EXAMPLES[fuzz_target.backend]
    modes = list(examples) if _has_inputs(operation) else [GenerationMode.POSITIVE]
    for mode in modes:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples[mode],
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
                HealthCheck.large_base_example,
            ],
        )
        def answers_as_documented(case: Case[Any]) -> None:
            case.call_and_validate(headers=STAFF, checks=CHECKS)

        answers_as_documented()
