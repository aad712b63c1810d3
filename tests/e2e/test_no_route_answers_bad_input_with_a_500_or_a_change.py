"""Every route the app serves refuses bad input with a documented 4xx and changes nothing.

The routes come from the app's own route table, not the OpenAPI document: the pages of the
document itself, `/metrics`, the benchmark baselines and the mounted Duitku simulator are
walked too, and a route added later is walked without editing this test (a route with a JSON
body needs a valid body below, and the test says so). Each route gets the bad input that applies
to it: a NUL in the path, the query and every text field; ids and integers that are not ASCII
digits or not JSON integers; a date-time without a time zone; 5,000 nested brackets; invalid
UTF-8; a body without a JSON media type. Every answer must be a 4xx with the one error body and
a code that docs/errors.md lists for that status (and, for an operation of the OpenAPI
document, a status the document lists for it), and every table (the notification inbox and
the idempotency keys included) must be unchanged afterwards.

On SQLite and on PostgreSQL (where a NUL used to reach the driver and answer 500). One app per
backend serves all the cases, so the walk stays fast.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.routes import ASGIRoute, HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from tests.support.cheap_passwords import cheap_passwords
from tests.support.overrides import replace
from tests.support.resolvers import StaticResolver

from adapters.sqlalchemy.migrate import upgrade_database
from adapters.sqlalchemy.schema import metadata
from entrypoints import gateways
from entrypoints.container import build_container
from entrypoints.duitku_simulator import DEFAULT_MOUNT_PATH, build_simulator
from entrypoints.http.app import create_app
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.settings import load_settings

STAFF = {"Authorization": "Bearer alice-token-0123456789"}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
ERRORS_DOC = Path(__file__).parents[2] / "docs" / "errors.md"
NAIVE = "2020-01-01T00:00:00"
DEEP_ARRAY = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000
INVALID_UTF8 = b'{"note": "\xff\xfe"}'

# A valid body for every route that takes JSON; {order}, {paid} and {item} are seeded ids.
# The bad variants below are made from these, so each refusal is due to one bad value only.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/orders": {
        "items": [{"menu_item_id": "{item}", "quantity": 1}],
        "table_number": "7",
        "customer_name": "Budi",
    },
    "POST /api/v1/menu-items": {"name": "Teh", "price": 5000},
    "PATCH /api/v1/menu-items/{item_id}": {"name": "Teh", "price": 5000},
    "POST /api/v1/payments/qris": {
        "order_id": "{order}",
        "amount": 50_000,
        "customer_details": {"name": "Budi", "email": "budi@example.test", "phone": "0812345678"},
    },
    "POST /api/v1/payments/cash": {"order_id": "{order}", "amount_tendered": 50_000},
    "POST /api/v1/payments/{order_uid}/refund/resolve": {"note": "refunded"},
    "POST /api/v1/payments/{order_uid}/review/resolve": {"note": "dismissed"},
    "POST /api/v1/notifications/{entry_id}/review": {"note": "settled"},
    "POST /api/v1/webhook-subscriptions": {
        "url": "https://hooks.example.test/kasir",
        "event_types": ["order.paid"],
    },
    "PATCH /api/v1/webhook-subscriptions/{subscription_id}": {"status": "paused"},
    "POST /api/v1/webhook-subscriptions/{subscription_id}/replay": {"from_event_id": "evt_00"},
    "POST /api/v1/auth/login": {"name": "Sari", "password": "a-long-password"},
    "POST /api/v1/staff": {"name": "Budi", "role": "cashier", "password": "a-long-password"},
    "PATCH /api/v1/staff/{account_id}": {"role": "admin", "password": "a-long-password"},
    "POST /api/v1/orders/{order_id}/cancel": {"reason": "the table left"},
    "POST /api/v1/shifts": {"opening_float": 100_000},
    "POST /api/v1/shifts/{shift_id}/cash-movements": {
        "kind": "paid_out",
        "amount": 10_000,
        "reason": "ice",
    },
    "POST /api/v1/shifts/{shift_id}/close": {"counted_cash": 150_000, "note": "ok"},
    "POST /api/v1/orders/{order_id}/refunds": {"amount": 1_000, "reason": "cold soup"},
    "POST /api/v1/refunds/{refund_id}/approve": {"reference": "TRF-1"},
    "POST /api/v1/refunds/{refund_id}/reject": {"note": "not owed"},
    "POST /bench/json": {
        "order_id": "{order}",
        "amount": 50_000,
        "customer_details": {"name": "Budi", "email": "budi@example.test"},
    },
}
# Routes that read a form (Duitku's callback and its benchmark baselines).
FORM_ROUTES = {"POST /api/v1/webhooks/duitku", "POST /bench/form", "POST /bench/callback"}
# The payment page's own form (its new-QR button), with a valid body to spoil.
PAGE_FORMS: dict[str, dict[str, str]] = {
    "POST /pay/{order_id}/qr": {"email": "budi@example.test", "lang": "id"},
}
CALLBACK = {
    "merchantCode": "E2EFAKE",
    "amount": "50000",
    "merchantOrderId": "{uid}",
    "resultCode": "00",
    "reference": "REF1",
    "signature": "0" * 64,
}


@dataclass(frozen=True, slots=True)
class Case:
    """One bad request and what it must answer: `status` and `code`, or any documented 4xx."""

    kind: str
    method: str
    url: str
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # the template, e.g. /api/v1/orders/{order_id}
    path_types: dict[str, type]
    handler: HTTPRouteHandler | None  # None inside a mounted app (the simulator)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(slots=True)
class Walk:
    client: AsyncTestClient[Litestar]
    app: Litestar
    engine: AsyncEngine
    names: dict[str, Any]
    simulator_routes: list[Route]


# ---------------------------------------------------------------------------------------------
# The route table.


def served_routes(walk: Walk) -> list[Route]:
    """Every (method, path) the app serves, the mounted simulator's routes included."""
    routes: list[Route] = []
    for route in walk.app.routes:
        if isinstance(route, HTTPRoute):
            types = {p.name: p.type for p in route.path_parameters.values()}
            for handler in route.route_handlers:
                for method in sorted(handler.http_methods):
                    if method not in {"HEAD", "OPTIONS"}:
                        routes.append(Route(method, route.path_format, types, handler))
        elif isinstance(route, ASGIRoute) and route.path == DEFAULT_MOUNT_PATH:
            routes.extend(walk.simulator_routes)
        else:
            raise AssertionError(f"a route of an unknown kind is not walked: {route.path}")
    return routes


def _simulator_routes(app: Litestar) -> list[Route]:
    routes: list[Route] = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute), route.path
        types = {p.name: p.type for p in route.path_parameters.values()}
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method not in {"HEAD", "OPTIONS"} and not route.path.startswith("/schema"):
                    path = DEFAULT_MOUNT_PATH + route.path_format
                    routes.append(Route(method, path, types, None))
    return routes


# ---------------------------------------------------------------------------------------------
# The bad input for each route.


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names.get(value[1:-1], value)
    return value


def _path(route: Route, names: dict[str, Any], **override: str) -> str:
    path = route.path
    for name, kind in route.path_types.items():
        if name in override:
            value = override[name]
        elif kind is int:
            value = str(names["ids"].get(name, 1))
        elif name == "path":  # the OpenAPI document's own pages
            value = "swagger"
        else:
            value = str(names["uid"])
        path = path.replace(f"{{{name}}}", value)
    return path


def _query_fields(route: Route) -> dict[str, Any]:
    if route.handler is None:
        return {}
    kinds: dict[str, Any] = {}
    for name, definition in route.handler.parsed_fn_signature.parameters.items():
        kwarg = type(definition.kwarg_definition).__name__
        if kwarg in {"BodyKwarg", "DependencyKwarg"} or name in route.path_types:
            continue
        if definition.is_optional:
            inner = [i.annotation for i in definition.inner_types if i.annotation is not type(None)]
            kinds[name] = inner[0] if len(inner) == 1 else None
        else:
            kinds[name] = definition.annotation
    return {
        name: kind
        for name, kind in kinds.items()
        if kind in {int, str, bool} or getattr(kind, "__name__", "") in {"datetime"}
    }


def _strings_and_ints(
    value: Any, at: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_and_ints(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings_and_ints(item, (*at, index))
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield at, value


def _replaced(value: Any, at: tuple[Any, ...], new: Any) -> Any:
    if not at:
        return new
    head, rest = at[0], at[1:]
    if isinstance(value, dict):
        return {k: _replaced(v, rest, new) if k == head else v for k, v in value.items()}
    return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]


INVALID = (400, "invalid_request")
UNSUPPORTED = (415, "unsupported_media_type")
REJECTED = (400, "invalid_notification")
Expected = tuple[int, str] | None


@dataclass(slots=True)
class Cases:
    """The cases of one route; the simulator's answers are only held to "a 4xx"."""

    route: Route
    items: list[Case] = field(default_factory=list)

    def add(self, kind: str, url: str, expected: Expected = None, **kw: Any) -> None:
        simulator = self.route.handler is None
        status, code = expected if expected is not None and not simulator else (None, None)
        self.items.append(Case(kind, self.route.method, url, status=status, code=code, **kw))


def cases_for(route: Route, names: dict[str, Any]) -> list[Case]:
    cases = Cases(route)
    url = _path(route, names)
    _path_cases(cases, names)
    _query_cases(cases, url)
    label = route.label
    if label in VALID_BODIES:
        _json_cases(cases, url, _fill(VALID_BODIES[label], names))
    elif label in FORM_ROUTES:
        _form_cases(cases, url, {key: str(_fill(v, names)) for key, v in CALLBACK.items()})
    elif label in PAGE_FORMS:
        _page_form_cases(cases, url, PAGE_FORMS[label])
    elif route.method in {"POST", "PUT", "PATCH"} and route.handler is None:
        _junk_body_cases(cases, url)
    return cases.items


def _path_cases(cases: Cases, names: dict[str, Any]) -> None:
    """A NUL in each path parameter; a fullwidth, underscored or signed id."""
    route = cases.route
    for name, kind in route.path_types.items():
        if kind is int:
            cases.add("NUL in a path id", _path(route, names, **{name: "1%00"}))
            for bad in ("%EF%BC%91", "1_0", "+1"):  # fullwidth 1, 1_0, +1
                cases.add(f"path id {bad}", _path(route, names, **{name: bad}), INVALID)
        else:
            cases.add("NUL in a path text", _path(route, names, **{name: "KSR-%00"}), INVALID)


def _query_cases(cases: Cases, url: str) -> None:
    """A NUL under every declared query name and an undeclared one; loose integers; naive
    date-times."""
    fields = _query_fields(cases.route)
    for name in [*fields, "q"]:
        cases.add(f"NUL in query {name}", f"{url}?{name}=a%00b", INVALID)
    for name, kind in fields.items():
        if kind is int:
            for bad in ("1e1", "%EF%BC%91", "1.0"):
                cases.add(f"query integer {name}={bad}", f"{url}?{name}={bad}", INVALID)
        elif getattr(kind, "__name__", "") == "datetime":
            cases.add(f"naive date-time {name}", f"{url}?{name}={NAIVE}", INVALID)


def _json_cases(cases: Cases, url: str, valid: dict[str, Any]) -> None:
    """The valid body spoilt by one value at a time, unreadable bodies, other media types."""
    for at, value in _strings_and_ints(valid):
        if isinstance(value, str):
            for spoilt in (value + "\u0000x", value + "\u0007"):
                body = msgspec.json.encode(_replaced(valid, at, spoilt))
                cases.add(f"{spoilt!r} in {at}", url, INVALID, content=body, headers=JSON)
            continue
        for loose in (str(value), float(value)):
            body = msgspec.json.encode(_replaced(valid, at, loose))
            cases.add(f"{loose!r} for {at}", url, INVALID, content=body, headers=JSON)
        body = msgspec.json.encode(_replaced(valid, at, 123456789))
        body = body.replace(b"123456789", f"{value}e0".encode())
        cases.add(f"{value}e0 for {at}", url, INVALID, content=body, headers=JSON)
    _junk_body_cases(cases, url)
    body = msgspec.json.encode(valid)
    for media in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {} if media is None else {"Content-Type": media}
        cases.add(f"valid body as {media}", url, UNSUPPORTED, content=body, headers=headers)


def _junk_body_cases(cases: Cases, url: str) -> None:
    for kind, raw in (("deep array", DEEP_ARRAY), ("deep object", DEEP_OBJECT)):
        cases.add(kind, url, INVALID, content=raw, headers=JSON)
    cases.add("invalid UTF-8", url, INVALID, content=INVALID_UTF8, headers=JSON)


def _form_cases(cases: Cases, url: str, fields: dict[str, str]) -> None:
    """A callback with a NUL in one field, with invalid UTF-8, or sent as JSON."""
    for key, value in fields.items():
        form = str(httpx.QueryParams({**fields, key: value + "\u0000"})).encode()
        cases.add(f"NUL in form {key}", url, REJECTED, content=form, headers=FORM)
    utf8 = str(httpx.QueryParams(fields)).encode().replace(b"REF1", b"REF%FF")
    cases.add("invalid UTF-8 in the form", url, REJECTED, content=utf8, headers=FORM)
    body = msgspec.json.encode(fields)
    cases.add("callback as JSON", url, UNSUPPORTED, content=body, headers=JSON)


def _page_form_cases(cases: Cases, url: str, fields: dict[str, str]) -> None:
    """The page's form with a NUL or a bell in one field, or with invalid UTF-8."""
    for key, value in fields.items():
        for spoilt in (value + "\u0000x", value + "\u0007"):
            form = str(httpx.QueryParams({**fields, key: spoilt})).encode()
            cases.add(f"{spoilt!r} in form {key}", url, INVALID, content=form, headers=FORM)
    # Read leniently (a replacement character), then refused like any request without the link.
    utf8 = str(httpx.QueryParams(fields)).encode().replace(b"example", b"ex%FFample")
    cases.add("invalid UTF-8 in the form", url, content=utf8, headers=FORM)


# ---------------------------------------------------------------------------------------------
# The stack: one app per backend, all routes mounted, seeded rows for real ids.


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database: a SQLite file, or a throwaway PostgreSQL database (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'walk.db'}"
        return
    admin_url = os.environ.get("KASIR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"kasir_walk_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(admin_url, poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with admin.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # unreachable server: skip, or fail when PostgreSQL is required
        await admin.dispose()
        if os.environ.get("KASIR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"KASIR_REQUIRE_POSTGRES=1 but PostgreSQL is unusable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {type(error).__name__}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
def stack_overrides() -> dict[str, Any]:
    """Settings for the stack; a test parametrizes this name to change them."""
    return {}


@pytest.fixture
async def walk(database_url: str, stack_overrides: dict[str, Any]) -> AsyncIterator[Walk]:
    await upgrade_database(database_url)
    settings: dict[str, Any] = {
        "rate_limit_create_per_minute": 0,
        "rate_limit_rejected_callbacks_per_minute": 0,
        **stack_overrides,
    }
    container = build_container(
        load_settings(
            database_url=database_url,
            duitku_env="fake",
            kasir_staff_tokens="alice:alice-token-0123456789",
            public_base_url="http://testserver.local",
            kasir_benchmark_routes=True,
            **settings,
        )
    )
    replace(container, gateway=gateways.fake_gateway(merchant_code="E2EFAKE"))
    # Subscription URLs resolve without a network (hooks.example.test to a public address).
    replace(container, resolver=StaticResolver({"hooks.example.test": ["93.184.216.34"]}))
    cheap_passwords(container)
    simulator = build_simulator()
    replace(container, simulator=simulator)  # mounted too: walked too
    app = create_app(container)
    engine = create_async_engine(database_url)  # pooled: a snapshot after every case
    try:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            names = await _seed(client)
            yield Walk(client, app, engine, names, _simulator_routes(simulator.asgi_app))
    finally:
        await engine.dispose()


async def _seed(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    item = await client.post(
        "/api/v1/menu-items", json={"name": "Nasi", "price": 25_000}, headers=STAFF
    )
    assert item.status_code == 201, item.text
    shift = await client.post("/api/v1/shifts", json={"opening_float": 0}, headers=STAFF)
    assert shift.status_code == 201, shift.text
    lines = {"items": [{"menu_item_id": item.json()["id"], "quantity": 2}]}
    waiting = (await client.post("/api/v1/orders", json=lines)).json()
    paid = (await client.post("/api/v1/orders", json=lines)).json()
    customer = {"name": "Budi", "email": "budi@example.test"}
    qris = await client.post(
        "/api/v1/payments/qris",
        json={"order_id": waiting["id"], "amount": 50_000, "customer_details": customer},
        headers=STAFF,
    )
    cash = await client.post(
        "/api/v1/payments/cash",
        json={"order_id": paid["id"], "amount_tendered": 50_000},
        headers=STAFF,
    )
    assert (qris.status_code, cash.status_code) == (201, 201), (qris.text, cash.text)
    sari = await client.post(
        "/api/v1/staff",
        json={"name": "Sari", "role": "cashier", "password": "a-long-password"},
        headers=STAFF,
    )
    assert sari.status_code == 201, sari.text
    return {
        "item": item.json()["id"],
        "order": waiting["id"],
        "paid": paid["id"],
        "uid": qris.json()["order_uid"],
        "ids": {
            "order_id": waiting["id"],
            "item_id": item.json()["id"],
            "entry_id": 1,
            "account_id": sari.json()["id"],
            "shift_id": shift.json()["id"],
        },
    }


async def snapshot(engine: AsyncEngine) -> dict[str, list[str]]:
    """Every row of every table of the schema (committed data only)."""
    async with engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in await connection.execute(table.select()))
            for table in metadata.sorted_tables
        }


def documented_codes() -> dict[int, set[str]]:
    """The codes docs/errors.md lists, by HTTP status."""
    codes: dict[int, set[str]] = {}
    for line in ERRORS_DOC.read_text().splitlines():
        row = re.match(r"^\| (\d{3}) \| (.+?) \|", line)
        if row:
            codes.setdefault(int(row[1]), set()).update(re.findall(r"`([a-z_]+)`", row[2]))
    return codes


# ---------------------------------------------------------------------------------------------
# The tests.


def test_every_route_with_a_json_body_has_a_valid_body_to_spoil() -> None:
    """A route that takes JSON but has no valid body here would be walked without body cases."""
    container = build_container(
        load_settings(
            database_url="sqlite+aiosqlite:///:memory:",
            duitku_env="fake",
            kasir_benchmark_routes=True,
        )
    )
    app = create_app(container)
    takes_json = {
        f"{method} {route.path_format}"
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if "data" in handler.parsed_fn_signature.parameters
        for method in handler.http_methods
    }
    assert takes_json == set(VALID_BODIES) | set(PAGE_FORMS)


async def test_every_route_refuses_bad_input_with_a_documented_4xx_and_changes_nothing(
    walk: Walk,
) -> None:
    codes = documented_codes()
    routes = served_routes(walk)
    labels = {route.label for route in routes}
    # The walk covers more than the OpenAPI document: pages, metrics, baselines, simulator.
    assert {"GET /metrics", "GET /schema", "POST /bench/json"} <= labels
    assert any(label.startswith(f"POST {DEFAULT_MOUNT_PATH}/") for label in labels)
    document = (await walk.client.get("/schema/openapi.json")).json()["paths"]
    before = await snapshot(walk.engine)
    failures: list[str] = []
    walked = 0
    for route in routes:
        operation = document.get(route.path, {}).get(route.method.lower())
        for case in cases_for(route, walk.names):
            walked += 1
            response = await walk.client.request(
                case.method, case.url, content=case.content, headers={**STAFF, **case.headers}
            )
            problem = _problem(case, response, codes)
            if (
                problem is None
                and operation
                and str(response.status_code) not in operation["responses"]
            ):
                problem = f"{response.status_code} is not in the OpenAPI document's responses"
            if problem is None and await snapshot(walk.engine) != before:
                problem = "the database changed"
                before = await snapshot(walk.engine)
            if problem is not None:
                failures.append(f"{route.label} [{case.kind}] {case.url[:80]}: {problem}")
    assert walked > 200
    assert not failures, "\n".join(failures)


def _problem(case: Case, response: httpx.Response, codes: dict[int, set[str]]) -> str | None:
    status = response.status_code
    if not 400 <= status < 500:
        return f"answered {status}: {response.text[:200]}"
    if case.url.startswith(DEFAULT_MOUNT_PATH):
        return None  # the simulator answers in Duitku's own error shape
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"not the error body: {response.text[:200]}"
    if set(error) != {"code", "message", "details"}:
        return f"not the error body: {error}"
    if error["code"] not in codes.get(status, set()):
        return f"{status} {error['code']} is not in docs/errors.md"
    if case.status is not None and (status, error["code"]) != (case.status, case.code):
        return f"answered {status} {error['code']}, expected {case.status} {case.code}"
    return None


# ---------------------------------------------------------------------------------------------
# The cases of the issue, one by one (the walk above covers them among many others).


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


async def test_a_nul_in_a_customer_name_is_refused_and_nothing_is_stored(walk: Walk) -> None:
    before = await snapshot(walk.engine)
    lines = [{"menu_item_id": walk.names["item"], "quantity": 1}]

    response = await walk.client.post(
        "/api/v1/orders", json={"items": lines, "customer_name": "a\u0000b"}
    )

    _error(response, 400, "invalid_request")
    assert await snapshot(walk.engine) == before


async def test_a_nul_in_a_payment_id_or_a_staff_filter_is_refused(walk: Walk) -> None:
    before = await snapshot(walk.engine)
    for url in (
        "/api/v1/payments/KSR-%00",
        "/api/v1/payments/KSR-%00/qris.png",
        "/api/v1/notifications?order_uid=KSR-%00",
        "/api/v1/notifications?outcome=paid%00",
        "/api/v1/orders?status=paid%00",
    ):
        _error(await walk.client.get(url, headers=STAFF), 400, "invalid_request")
    assert await snapshot(walk.engine) == before


async def test_a_staff_filter_date_time_needs_a_time_zone(walk: Walk) -> None:
    url = "/api/v1/notifications?received_from="
    _error(await walk.client.get(url + NAIVE, headers=STAFF), 400, "invalid_request")
    for aware in ("2020-01-01T00:00:00Z", "2020-01-01T00:00:00%2B07:00"):
        assert (await walk.client.get(url + aware, headers=STAFF)).status_code == 200


@pytest.mark.parametrize("stack_overrides", [{"rate_limit_rejected_callbacks_per_minute": 10}])
async def test_forged_callbacks_with_a_nul_are_refused_counted_and_never_stored(
    walk: Walk,
) -> None:
    before = await snapshot(walk.engine)
    fields = {key: str(_fill(value, walk.names)) for key, value in CALLBACK.items()}
    forged = {**fields, "merchantOrderId": "KSR-\u0000"}

    answers = [
        (await walk.client.post("/api/v1/webhooks/duitku", data=forged)).status_code
        for _ in range(15)
    ]

    # Refused as invalid notifications, counted by the failure limiter: 429 after ten.
    assert answers == [400] * 10 + [429] * 5
    assert await snapshot(walk.engine) == before  # the inbox too: nothing stored


async def test_money_and_ids_are_json_integers_only(walk: Walk) -> None:
    before = await snapshot(walk.engine)
    customer = {"name": "Budi", "email": "budi@example.test"}
    for amount in (b'"50000"', b"50000.0", b"5e4", b"5.0e4"):
        body = b'{"order_id": %d, "amount": %s, "customer_details": %s}' % (
            walk.names["order"],
            amount,
            msgspec.json.encode(customer),
        )
        response = await walk.client.post(
            "/api/v1/payments/qris", content=body, headers={**STAFF, **JSON}
        )
        _error(response, 400, "invalid_request")
    assert await snapshot(walk.engine) == before


async def test_a_json_body_needs_a_json_media_type(walk: Walk) -> None:
    before = await snapshot(walk.engine)
    body = msgspec.json.encode({"name": "Teh", "price": 5000})
    for headers in ({"Content-Type": "text/plain"}, {}, FORM):
        response = await walk.client.post(
            "/api/v1/menu-items", content=body, headers={**STAFF, **headers}
        )
        _error(response, 415, "unsupported_media_type")
    assert await snapshot(walk.engine) == before
    for media in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await walk.client.post(
            "/api/v1/menu-items", content=body, headers={**STAFF, "Content-Type": media}
        )
        assert response.status_code == 201, response.text


async def test_a_path_id_is_ascii_digits_so_a_fullwidth_one_reads_nothing(walk: Walk) -> None:
    order = walk.names["order"]
    assert order < 10  # the fullwidth digit below is the same order's id
    fullwidth = chr(0xFF10 + order)

    response = await walk.client.get(f"/api/v1/orders/{fullwidth}", headers=STAFF)

    _error(response, 400, "invalid_request")
    assert (await walk.client.get(f"/api/v1/orders/{order}", headers=STAFF)).status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_value_the_database_refuses_answers_400_never_500(database_url: str) -> None:
    """The net under the input checks: PostgreSQL's data errors (SQLSTATE class 22: a NUL in
    text, an integer out of range) that reach the driver answer 400, other errors stay 500."""
    engine = create_async_engine(database_url, poolclass=NullPool)

    @get("/probe/{kind:str}")
    async def probe(kind: FromPath[str]) -> str:
        statement, value = {
            "nul": ("SELECT CAST(:v AS text)", "a\u0000b"),
            "range": ("SELECT CAST(:v AS integer)", 2**40),
            "bug": ("SELEKT :v", 1),
        }[kind]
        async with engine.connect() as connection:
            await connection.execute(text(statement), {"v": value})
        return "unreachable"

    app = Litestar([probe], exception_handlers=EXCEPTION_HANDLERS, logging_config=None)
    try:
        async with AsyncTestClient(app=app) as client:
            _error(await client.get("/probe/nul"), 400, "invalid_request")
            _error(await client.get("/probe/range"), 400, "invalid_request")
            _error(await client.get("/probe/bug"), 500, "internal_error")
    finally:
        await engine.dispose()
