"""Every answer carries the security headers; pages get a strict CSP and load nothing remote."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import httpx
import pytest
from litestar.testing import AsyncTestClient

from adapters.sqlalchemy.migrate import upgrade_database
from entrypoints.container import build_container
from entrypoints.duitku_simulator import build_simulator
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}


def assert_secured(response: httpx.Response, *, page: bool) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, where
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "default-src 'none'" in csp, where
    if page:
        assert response.headers["content-type"].startswith("text/html"), where
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
    else:
        assert "script-src" not in csp, where  # nothing may run from an API answer
    assert "strict-transport-security" not in response.headers, where  # plain http here


async def test_api_answers_of_every_kind_carry_the_headers(api: SimulatorStack) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)
    answers = [
        await api.client.get("/health"),
        await api.client.get(f"/api/v1/orders/{order.id}", headers=order.headers),
        await api.client.get(f"/api/v1/payments/{uid}/qris.svg"),
        await api.client.get(f"/api/v1/payments/{uid}/qris.png"),
        await api.client.post("/api/v1/orders", json={"items": []}),  # 4xx from a handler
        await api.client.get("/no-such-page"),  # the router's own 404
        await api.client.delete("/health"),  # the router's own 405
        await api.client.get("/api/v1/orders", headers={"Authorization": "Bearer nope"}),
        await api.client.get("/metrics"),
        await api.client.get("/schema/openapi.json"),
        await api.client.get("/schema/openapi.yaml"),
    ]
    for response in answers:
        assert_secured(response, page=False)


async def test_the_api_reference_is_a_page_served_whole_by_kasir(api: SimulatorStack) -> None:
    response = await api.client.get("/schema")

    assert response.status_code == 200
    assert_secured(response, page=True)
    assert "<script" not in response.text.lower()
    assert "style=" not in response.text.lower()
    assert re.findall(r"(?:src|href)=['\"](?:https?:)?//", response.text) == []
    assert "POST /api/v1/payments/qris" in response.text
    assert "openapi.json" in response.text
    assert (await api.client.get("/schema/swagger")).status_code == 404  # it was a CDN page


async def test_the_mounted_simulators_payment_page_carries_the_page_headers(
    api: SimulatorStack,
) -> None:
    order = await api.place_order()
    started = await api.start_qris(order)
    page_url = urlsplit(started.json()["payment_url"])

    response = await api.client.get(f"{page_url.path}?{page_url.query}")

    assert response.status_code == 200, response.text
    assert_secured(response, page=True)
    assert "form-action 'self'" in response.headers["content-security-policy"]


async def test_the_standalone_simulator_carries_the_headers_too() -> None:
    simulator = build_simulator()
    transport = httpx.ASGITransport(app=cast(Any, simulator.asgi_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://duitku.test") as client:
        missing = await client.get("/topup/topupdirectv2.aspx", params={"ref": "nope"})
    await simulator.aclose()
    assert_secured(missing, page=False)


@pytest.mark.parametrize(
    ("base_url", "hsts"), [("https://kasir.example", True), ("http://x", False)]
)
async def test_hsts_is_sent_only_when_kasir_is_served_over_https(
    tmp_path: Path, base_url: str, hsts: bool
) -> None:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hsts.db'}",
        duitku_env="fake",
        public_base_url=base_url,
    )
    await upgrade_database(settings.database_url)
    app = create_app(build_container(settings))
    async with AsyncTestClient(app=app) as client:
        answers = [await client.get("/health"), await client.get("/no-such-page")]
    for response in answers:
        assert ("strict-transport-security" in response.headers) is hsts
        if hsts:
            assert response.headers["strict-transport-security"].startswith("max-age=31536000")
