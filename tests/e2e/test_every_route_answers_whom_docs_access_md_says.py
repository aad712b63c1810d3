"""docs/access.md lists every route and who may call it; this walks the table.

Each row is called as nobody, as a signed-in cashier and as a signed-in admin (and, for the
order-token rows, with another order's token and with the order's own token); the answer must
be of the documented class. The app's routes and the table's rows must be the same set, so a
route added without a row fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.routes import ASGIRoute, HTTPRoute

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

if TYPE_CHECKING:
    from tests.e2e.conftest import PlacedOrder, SimulatorStack

ACCESS_MD = Path(__file__).parents[2] / "docs" / "access.md"
METRICS_TOKEN = "metrics-token-0123456789"
PASSWORD = "a-long-password-for-the-walk"
WHO = {
    "anyone",
    "order token",
    "staff",
    "admin",
    "metrics token",
    "payment link",
    "stream token",
    "gateway",
    "simulator",
    "benchmark",
}
NOT_WALKED = {"simulator", "benchmark"}  # only in simulated or benchmark modes
ADD_A_ROW = (
    "add a row for each to docs/access.md (method, path, who may call it): the access test "
    "walks that table"
)


@dataclass(frozen=True, slots=True)
class Row:
    method: str
    path: str
    who: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def access_table() -> list[Row]:
    """The rows of the table under '## The routes' in docs/access.md."""
    rows: list[Row] = []
    section = ACCESS_MD.read_text().split("\n## The routes\n", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in {"method", "---"} or not line.startswith("|"):
            continue
        method, path, who = cells
        assert who in WHO, f"docs/access.md: {method} {path}: unknown caller {who!r}"
        rows.append(Row(method, path, who))
    assert rows, "docs/access.md has no route table"
    return rows


ROWS = access_table()


def app_routes(app: Litestar) -> set[str]:
    labels: set[str] = set()
    for route in app.routes:
        if isinstance(route, ASGIRoute):  # a mounted simulator
            labels.add(f"* {route.path}/{{path}}")
            continue
        assert isinstance(route, HTTPRoute), f"a route of an unknown kind: {route.path}"
        for handler in route.route_handlers:
            for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                labels.add(f"{method} {route.path_format}")
    return labels


def test_docs_access_md_lists_every_route_of_the_app_and_no_other(api: SimulatorStack) -> None:
    served = app_routes(api.client.app)
    documented = {row.label for row in ROWS if row.who != "benchmark"}
    missing = sorted(served - documented)
    assert not missing, f"routes missing from docs/access.md: {missing}; {ADD_A_ROW}"
    # Simulators are mounted by mode (the Midtrans one only with MIDTRANS_ENV=simulator).
    always = {row.label for row in ROWS if row.who not in NOT_WALKED}
    assert not sorted(always - served), "docs/access.md lists routes the app does not serve"


@pytest.mark.parametrize(
    "mode",
    [
        {"duitku_env": "fake", "kasir_benchmark_routes": True},
        {"duitku_env": "simulator", "midtrans_env": "simulator"},
    ],
    ids=["benchmark routes", "midtrans simulator"],
)
def test_docs_access_md_lists_the_routes_of_the_other_modes_too(
    tmp_path: Path, mode: dict[str, Any]
) -> None:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'modes.db'}", **mode)
    served = app_routes(create_app(build_container(settings)))
    missing = sorted(served - {row.label for row in ROWS})
    assert not missing, f"routes missing from docs/access.md: {missing}; {ADD_A_ROW}"


@dataclass(slots=True)
class Walk:
    """The stack, two signed-in staff members, and the ids the rows' paths and bodies use."""

    api: SimulatorStack
    cashier_id: int
    order: PlacedOrder
    other: PlacedOrder
    uid: str
    item: int
    headers: dict[str, dict[str, str]]
    signed: dict[int, str]  # order id -> the `sig` of its payment page link
    streams: dict[int, str]  # order id -> a stream token for it
    shift_id: int = 0  # the walk cashier's own shift
    refund_id: int = 0  # a refund alice requested, waiting for another admin

    async def sign_in(self, who: str) -> None:
        response = await self.api.client.post(
            "/api/v1/auth/login", json={"name": f"walk-{who}", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.headers[who] = {"Authorization": f"Bearer {response.json()['token']}"}

    def url(self, row: Row) -> str:
        values = {
            "item_id": self.item,
            "order_id": self.order.id,
            "order_uid": self.uid,
            "entry_id": 1,
            "account_id": self.cashier_id,
            "shift_id": self.shift_id,
            "refund_id": self.refund_id,
            "subscription_id": "whsub_00",
            "delivery_id": 1,
            "path": "swagger",
            "file_path": "pay.js",
        }
        return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), row.path)

    def body(self, row: Row) -> dict[str, Any]:
        """A body valid for a caller allowed to call the row (JSON; a form for the webhook)."""
        bodies: dict[str, Any] = {
            "POST /api/v1/menu-items": {"name": "Kopi", "price": 10_000},
            "PATCH /api/v1/menu-items/{item_id}": {"price": 26_000},
            "POST /api/v1/orders": {"items": [{"menu_item_id": self.item, "quantity": 1}]},
            "POST /api/v1/orders/{order_id}/cancel": {"reason": "the guest left"},
            "POST /api/v1/payments/qris": {
                "order_id": self.order.id,
                "amount": self.order.total,
                "customer_details": {"name": "Budi", "email": "budi@example.test"},
            },
            "POST /api/v1/payments/cash": {"order_id": self.other.id, "amount_tendered": 10**6},
            "POST /api/v1/payments/{order_uid}/refund/resolve": {"note": "paid back"},
            "POST /api/v1/shifts": {"opening_float": 0},
            "POST /api/v1/shifts/{shift_id}/cash-movements": {
                "kind": "paid_in",
                "amount": 1_000,
                "reason": "change",
            },
            "POST /api/v1/shifts/{shift_id}/close": {"counted_cash": 1_000},
            "POST /api/v1/orders/{order_id}/refunds": {"amount": 1_000, "reason": "cold"},
            "POST /api/v1/payments/{order_uid}/review/resolve": {"note": "dismissed"},
            "POST /api/v1/notifications/{entry_id}/review": {"note": "checked"},
            "POST /api/v1/auth/login": {"name": "walk-cashier", "password": PASSWORD},
            "POST /api/v1/staff": {"name": "Walk new", "role": "cashier", "password": PASSWORD},
            "PATCH /api/v1/staff/{account_id}": {"role": "cashier"},
            "POST /api/v1/webhook-subscriptions": {
                "url": "http://127.0.0.1:9/kasir",
                "event_types": ["order.paid"],
            },
            "PATCH /api/v1/webhook-subscriptions/{subscription_id}": {"status": "paused"},
            "POST /api/v1/webhook-subscriptions/{subscription_id}/replay": {
                "from_event_id": "evt_00"
            },
        }
        form = row.who in {"gateway", "payment link"}
        return {"data" if form else "json": bodies.get(row.label, {})}

    async def call(
        self, row: Row, headers: dict[str, str], params: dict[str, str] | None = None
    ) -> httpx.Response:
        body = self.body(row) if row.method in {"POST", "PATCH"} else {}
        response = await self.api.client.request(
            row.method, self.url(row), headers=headers, params=params, **body
        )
        if row.label == "POST /api/v1/auth/logout":  # the walk goes on signed in
            for who, sent in list(self.headers.items()):
                if sent == headers:
                    await self.sign_in(who)
        return response


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"metrics_token": METRICS_TOKEN}


@pytest.fixture
async def walk(api: SimulatorStack) -> Walk:
    ids = {}
    for who in ("cashier", "admin"):
        response = await api.client.post(
            "/api/v1/staff",
            json={"name": f"walk-{who}", "role": who, "password": PASSWORD},
            headers=api.staff,
        )
        assert response.status_code == 201, response.text
        ids[who] = response.json()["id"]
    item = await api.add_menu_item()
    order = await api.place_order((item, 1))
    walk = Walk(
        api,
        cashier_id=ids["cashier"],
        order=order,
        other=await api.place_order((item, 1)),
        uid=await api.started_qris(await api.place_order((item, 1))),
        item=item,
        headers={},
        signed={},
        streams={},
    )
    for placed in (walk.order, walk.other):
        read = await api.client.get(f"/api/v1/orders/{placed.id}", headers=placed.headers)
        link = urlsplit(read.json()["payment_page_url"])
        walk.signed[placed.id] = parse_qs(link.query)["sig"][0]
        issued = await api.client.post(
            f"/api/v1/orders/{placed.id}/stream-token", headers=placed.headers
        )
        walk.streams[placed.id] = issued.json()["stream_token"]
    for who in ("cashier", "admin"):
        await walk.sign_in(who)
    shift = await api.client.post(
        "/api/v1/shifts", json={"opening_float": 0}, headers=walk.headers["cashier"]
    )
    assert shift.status_code == 201, shift.text
    walk.shift_id = shift.json()["id"]
    paid = await api.place_order((item, 1))
    cash = await api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": paid.id, "amount_tendered": paid.total},
        headers=api.staff,
    )
    assert cash.status_code == 201, cash.text
    refund = await api.client.post(
        f"/api/v1/orders/{paid.id}/refunds",
        json={"amount": paid.total, "reason": "cold"},
        headers=api.staff,
    )
    assert refund.status_code == 201, refund.text
    walk.refund_id = refund.json()["id"]
    return walk


def _allowed(response: httpx.Response) -> bool:
    return response.status_code not in {401, 403}


@pytest.mark.parametrize("row", [r for r in ROWS if r.who not in NOT_WALKED], ids=str)
async def test_each_route_answers_each_caller_as_docs_access_md_says(walk: Walk, row: Row) -> None:
    nobody = await walk.call(row, {})
    cashier = await walk.call(row, walk.headers["cashier"])
    admin = await walk.call(row, walk.headers["admin"])
    answers = (
        f"nobody {nobody.status_code}, cashier {cashier.status_code}, admin {admin.status_code}"
    )

    if row.who in {"anyone", "gateway"}:
        assert nobody.status_code == cashier.status_code == admin.status_code, answers
        assert row.who == "gateway" or _allowed(nobody), answers
    elif row.who == "staff":
        assert nobody.status_code == 401, answers
        assert _allowed(cashier), answers
        assert _allowed(admin), answers
    elif row.who == "admin":
        assert (nobody.status_code, cashier.status_code) == (401, 403), answers
        assert _allowed(admin), answers
    elif row.who == "order token":
        wrong = await walk.call(row, walk.other.headers)
        right = await walk.call(row, walk.order.headers)
        assert (nobody.status_code, wrong.status_code) == (404, 404), answers
        assert _allowed(right), answers
        assert right.status_code != 404, right.text
        assert _allowed(cashier), answers
        assert _allowed(admin), answers
    elif row.who == "payment link":
        # The page's signed link alone opens it: credentials change nothing, and a link
        # signed for another order is refused like none.
        wrong = await walk.call(row, {}, {"sig": walk.signed[walk.other.id]})
        right = await walk.call(row, {}, {"sig": walk.signed[walk.order.id]})
        assert (nobody.status_code, cashier.status_code, admin.status_code) == (403, 403, 403)
        assert wrong.status_code == 403, answers
        assert _allowed(right), right.text
        assert right.status_code != 404, right.text
    elif row.who == "stream token":
        # The stream opens only with a stream token for this order; credentials change
        # nothing. An accepted stream stays open, so the right token's answer is walked by
        # tests/e2e/test_the_live_status_stream.py on a real server.
        wrong = await walk.call(row, {}, {"stream_token": walk.streams[walk.other.id]})
        assert (nobody.status_code, cashier.status_code, admin.status_code) == (403, 403, 403)
        assert wrong.status_code == 403, answers
    else:
        assert row.who == "metrics token"
        scraper = await walk.call(row, {"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert (nobody.status_code, cashier.status_code, admin.status_code) == (404, 404, 404)
        assert scraper.status_code == 200, scraper.text
