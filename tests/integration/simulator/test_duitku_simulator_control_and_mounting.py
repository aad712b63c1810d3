"""The control API drives transactions, and the simulator also works mounted in a host app."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar, get

from entrypoints.duitku_simulator import (
    DEFAULT_MOUNT_PATH,
    DuitkuSimulator,
    SimulatorConfig,
    build_simulator,
    simulator_mount,
)
from entrypoints.duitku_simulator.control import TransactionNotFoundError

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
BodyFactory = Callable[..., dict[str, Any]]
ClientFactory = Callable[[Litestar], httpx.AsyncClient]


@pytest.mark.parametrize("action", ["pay", "fail", "expire"])
async def test_a_control_action_on_an_unknown_order_answers_404(
    client: httpx.AsyncClient, action: str
) -> None:
    response = await client.post(f"/control/transactions/NOPE/{action}")

    assert response.status_code == 404
    assert response.json()["error"] == "Transaction not found"


async def test_inspecting_an_unknown_order_answers_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/control/transactions/NOPE")

    assert response.status_code == 404


@pytest.mark.parametrize("second", ["pay", "fail", "expire"])
async def test_only_a_pending_transaction_can_change_state(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, second: str
) -> None:
    await client.post(INQUIRY_PATH, json=inquiry_body())
    await client.post("/control/transactions/ORDER-0001/expire")

    response = await client.post(f"/control/transactions/ORDER-0001/{second}")

    assert response.status_code == 409
    assert response.json()["state"] == "expired"


async def test_inspecting_shows_the_state_and_the_callback_history(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    created = (await client.post(INQUIRY_PATH, json=inquiry_body())).json()
    await client.post("/control/transactions/ORDER-0001/pay")

    view = (await client.get("/control/transactions/ORDER-0001")).json()

    assert view["reference"] == created["reference"]
    assert view["state"] == "paid"
    assert view["amount"] == 40000
    assert view["qr_string"] == created["qrString"]
    assert len(view["callback_deliveries"]) == 5
    listed = (await client.get("/control/transactions")).json()
    assert [t["merchant_order_id"] for t in listed] == ["ORDER-0001"]


async def test_the_simulator_object_offers_the_control_actions_directly(
    simulator: DuitkuSimulator, client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    await client.post(INQUIRY_PATH, json=inquiry_body())

    outcome = simulator.expire("ORDER-0001")

    assert outcome.transaction.state == "expired"
    assert simulator.inspect("ORDER-0001").state == "expired"
    with pytest.raises(TransactionNotFoundError):
        simulator.inspect("NOPE")


async def test_an_unknown_path_answers_in_duitkus_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/webapi/api/merchant/nothing")

    assert response.status_code == 404
    assert set(response.json()) == {"Message"}


async def test_the_simulator_publishes_no_openapi_schema(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 404


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    """A host application's own route."""
    return {"status": "ok"}


async def test_the_simulator_works_mounted_under_a_prefix_of_a_host_app(
    asgi_client: ClientFactory, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    simulator = build_simulator(SimulatorConfig(callback_retry_delay_s=0.01))
    host = Litestar(
        route_handlers=[health, simulator_mount(simulator)], on_shutdown=[simulator.aclose]
    )
    async with asgi_client(host) as client:
        created = await client.post(f"{DEFAULT_MOUNT_PATH}{INQUIRY_PATH}", json=inquiry_body())
        paid = await client.post(f"{DEFAULT_MOUNT_PATH}/control/transactions/ORDER-0001/pay")
        status = await client.post(f"{DEFAULT_MOUNT_PATH}{STATUS_PATH}", json=status_body())
        page = await client.get(created.json()["paymentUrl"].removeprefix("http://127.0.0.1:8000"))
        own_route = await client.get("/health")
        schema = (await client.get("/schema/openapi.json")).json()
    await simulator.aclose()

    assert DEFAULT_MOUNT_PATH == "/simulator/duitku"
    assert created.status_code == 200
    assert created.json()["paymentUrl"].startswith(
        "http://127.0.0.1:8000/simulator/duitku/topup/topupdirectv2.aspx?ref="
    )
    assert paid.json()["state"] == "paid"
    assert status.json()["statusCode"] == "00"
    assert page.status_code == 200
    assert own_route.json() == {"status": "ok"}
    assert "/health" in schema["paths"]
    assert not any("simulator" in path or "webapi" in path for path in schema["paths"])


async def test_the_simulator_can_be_mounted_under_any_prefix(
    asgi_client: ClientFactory, inquiry_body: BodyFactory
) -> None:
    simulator = build_simulator()
    host = Litestar(route_handlers=[simulator_mount(simulator, "/fake/duitku")])
    async with asgi_client(host) as client:
        created = await client.post(f"/fake/duitku{INQUIRY_PATH}", json=inquiry_body())
    await simulator.aclose()

    assert created.status_code == 200


async def test_closing_the_simulator_twice_is_harmless(simulator: DuitkuSimulator) -> None:
    await simulator.aclose()
    await simulator.aclose()
