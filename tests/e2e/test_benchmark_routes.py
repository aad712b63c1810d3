"""The bare baseline routes of `make bench` exist only in benchmark mode and stay out of the
API schema; they decode the same bodies as the endpoints they are compared with."""

from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
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
        ]

    assert [r.status_code for r in responses] == [404, 404, 404]
