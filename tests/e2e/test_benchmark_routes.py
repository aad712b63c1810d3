"""The baseline routes of `make bench` exist only in benchmark mode and stay out of the API
schema; the bare ones decode the same bodies as the endpoints they are compared with, and the
naive callback handler pays an order only for a callback the production verifier accepts."""

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.duitku.signature import callback_signature
from adapters.sqlalchemy.migrate import upgrade_database
from entrypoints.container import build_container
from entrypoints.duitku_simulator import DEV_API_KEY, DEV_MERCHANT_CODE
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
STAFF = {"Authorization": "Bearer alice-token-0123456789"}
QRIS_BODY = {
    "order_id": 7,
    "amount": 35_000,
    "customer_details": {"name": "Budi", "email": "budi@example.test"},
}


def _app(tmp_path: Path, *, benchmark_routes: bool) -> Litestar:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}",
        duitku_env="fake",
        kasir_staff_tokens="alice:alice-token-0123456789",
        kasir_benchmark_routes=benchmark_routes,
    )
    return create_app(build_container(settings))


async def test_the_baseline_routes_decode_like_the_real_endpoints(tmp_path: Path) -> None:
    async with AsyncTestClient(_app(tmp_path, benchmark_routes=True)) as client:
        form = await client.post("/bench/form", content="resultCode=00&amount=1", headers=FORM)
        wrong_type = await client.post("/bench/form", json={"resultCode": "00"})
        repeated = await client.post("/bench/form", content="a=1&a=2", headers=FORM)
        body = await client.post("/bench/json", json=QRIS_BODY)
        invalid = await client.post("/bench/json", json={**QRIS_BODY, "order_id": 0})
        read = await client.get("/bench/orders/7")
        schema = await client.get("/schema/openapi.json")

    assert (form.status_code, form.json()) == (200, {"status": "ok", "outcome": "2 fields"})
    assert wrong_type.status_code == 415
    assert repeated.status_code == 400
    assert (body.status_code, body.json()) == (200, {"status": "ok", "id": 7})
    assert invalid.status_code == 400
    assert (read.status_code, read.json()) == (200, {"status": "ok", "id": 7})
    assert not [path for path in schema.json()["paths"] if path.startswith("/bench")]


async def test_without_benchmark_mode_there_are_no_baseline_routes(tmp_path: Path) -> None:
    async with AsyncTestClient(_app(tmp_path, benchmark_routes=False)) as client:
        responses = [
            await client.post("/bench/form", content="resultCode=00", headers=FORM),
            await client.post("/bench/json", json=QRIS_BODY),
            await client.get("/bench/orders/7"),
            await client.post("/bench/callback", data=_callback(7, 35_000), headers=FORM),
        ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]


def _callback(
    order_id: int | str,
    amount: int,
    *,
    merchant: str = DEV_MERCHANT_CODE,
    key: str = DEV_API_KEY,
    signed_amount: int | None = None,
) -> dict[str, str]:
    """A Duitku callback for `order_id`, signed (by default) as the fake gateway's Duitku."""
    signed = str(amount if signed_amount is None else signed_amount)
    return {
        "merchantCode": merchant,
        "amount": str(amount),
        "merchantOrderId": str(order_id),
        "resultCode": "00",
        "reference": "REF-NAIVE-1",
        "signature": callback_signature(merchant, signed, str(order_id), key),
    }


async def _placed_order(client: AsyncTestClient[Litestar]) -> tuple[int, str, int]:
    """An order awaiting payment: its id, access token and total."""
    item = await client.post(
        "/api/v1/menu-items", json={"name": "Nasi", "price": 35_000}, headers=STAFF
    )
    assert item.status_code == 201, item.text
    order = await client.post(
        "/api/v1/orders", json={"items": [{"menu_item_id": item.json()["id"], "quantity": 1}]}
    )
    assert order.status_code == 201, order.text
    body = order.json()
    return body["id"], body["access_token"], body["total"]


async def _status(client: AsyncTestClient[Litestar], order_id: int, token: str) -> str:
    response = await client.get(f"/api/v1/orders/{order_id}", headers={"X-Order-Token": token})
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def test_the_naive_callback_pays_the_order_it_names_once(tmp_path: Path) -> None:
    app = await _migrated_app(tmp_path)
    async with AsyncTestClient(app) as client:
        order_id, token, total = await _placed_order(client)
        first = await client.post("/bench/callback", data=_callback(order_id, total), headers=FORM)
        again = await client.post("/bench/callback", data=_callback(order_id, total), headers=FORM)
        status = await _status(client, order_id, token)

    assert (first.status_code, first.json()["outcome"]) == (200, "order_paid")
    assert (again.status_code, again.json()["outcome"]) == (200, "nothing_to_do")
    assert status == "paid"


FORGED: dict[str, dict[str, Any]] = {
    "a wrong signature": {"key": "not-the-merchant-api-key-0123456789"},
    "another merchant's code": {"merchant": "DS99999"},
    "an amount changed after signing": {"signed_amount": 1},
}


@pytest.mark.parametrize("forgery", FORGED.values(), ids=list(FORGED))
async def test_a_forged_naive_callback_changes_nothing(
    tmp_path: Path, forgery: dict[str, Any]
) -> None:
    app = await _migrated_app(tmp_path)
    async with AsyncTestClient(app) as client:
        order_id, token, total = await _placed_order(client)
        forged = _callback(order_id, total, **forgery)
        response = await client.post("/bench/callback", data=forged, headers=FORM)
        status = await _status(client, order_id, token)

    assert (response.status_code, response.json()["error"]["code"]) == (
        403,
        "notification_rejected",
    )
    assert status == "awaiting_payment"


async def test_a_signed_naive_callback_without_an_order_id_is_refused(tmp_path: Path) -> None:
    app = await _migrated_app(tmp_path)
    async with AsyncTestClient(app) as client:
        order_id, token, total = await _placed_order(client)
        response = await client.post(
            "/bench/callback", data=_callback(f"KSR-{order_id}", total), headers=FORM
        )
        status = await _status(client, order_id, token)

    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        "invalid_notification",
    )
    assert status == "awaiting_payment"


async def _migrated_app(tmp_path: Path) -> Litestar:
    await upgrade_database(f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}")
    return _app(tmp_path, benchmark_routes=True)
