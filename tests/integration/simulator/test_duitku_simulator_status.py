"""``POST /webapi/api/merchant/transactionStatus`` reports states like Duitku (API.md §9)."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from entrypoints.duitku_simulator import SimulatorConfig, build_simulator

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
BodyFactory = Callable[..., dict[str, Any]]
ClientFactory = Callable[[Litestar], httpx.AsyncClient]


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def create(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(INQUIRY_PATH, json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_new_transaction_is_reported_as_01_process(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    created = await create(client, inquiry_body(paymentAmount=40000))

    response = await client.post(STATUS_PATH, json=status_body("ORDER-0001"))

    assert response.status_code == 200
    assert response.json() == {
        "merchantOrderId": "ORDER-0001",
        "reference": created["reference"],
        "amount": "40000",
        "fee": "0.00",
        "statusCode": "01",
        "statusMessage": "PROCESS",
    }


async def test_a_paid_transaction_is_reported_as_00_success(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await create(client, inquiry_body())
    await client.post("/control/transactions/ORDER-0001/pay")

    body = (await client.post(STATUS_PATH, json=status_body())).json()

    assert (body["statusCode"], body["statusMessage"]) == ("00", "SUCCESS")


async def test_a_failed_transaction_is_reported_as_02_failed(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await create(client, inquiry_body())
    await client.post("/control/transactions/ORDER-0001/fail")

    body = (await client.post(STATUS_PATH, json=status_body())).json()

    assert (body["statusCode"], body["statusMessage"]) == ("02", "FAILED")


async def test_an_expired_transaction_is_reported_as_02_expired(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await create(client, inquiry_body())
    await client.post("/control/transactions/ORDER-0001/expire")

    body = (await client.post(STATUS_PATH, json=status_body())).json()

    assert (body["statusCode"], body["statusMessage"]) == ("02", "EXPIRED")


async def test_a_pending_transaction_past_its_expiry_period_is_reported_expired(
    asgi_client: ClientFactory, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    clock = FakeClock()
    simulator = build_simulator(SimulatorConfig(), clock=clock)
    async with asgi_client(simulator.asgi_app) as client:
        await create(client, inquiry_body(expiryPeriod=15))

        clock.now += timedelta(minutes=14, seconds=59)
        before = (await client.post(STATUS_PATH, json=status_body())).json()
        clock.now += timedelta(seconds=1)
        after = (await client.post(STATUS_PATH, json=status_body())).json()
        paying_late = await client.post("/control/transactions/ORDER-0001/pay")
    await simulator.aclose()

    assert before["statusCode"] == "01"
    assert (after["statusCode"], after["statusMessage"]) == ("02", "EXPIRED")
    assert paying_late.status_code == 409


async def test_an_unknown_merchant_order_id_is_answered_400_transaction_not_found(
    client: httpx.AsyncClient, status_body: BodyFactory
) -> None:
    response = await client.post(STATUS_PATH, json=status_body("NEVER-CREATED"))

    assert response.status_code == 400
    assert response.json() == {"Message": "Transaction not found"}


async def test_the_http_status_for_an_unknown_order_follows_the_configuration(
    asgi_client: ClientFactory, status_body: BodyFactory
) -> None:
    simulator = build_simulator(SimulatorConfig(not_found_status=404))
    async with asgi_client(simulator.asgi_app) as client:
        response = await client.post(STATUS_PATH, json=status_body("NEVER-CREATED"))
    await simulator.aclose()

    assert response.status_code == 404
    assert response.json() == {"Message": "Transaction not found"}


async def test_a_status_request_signed_with_legacy_md5_is_accepted(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await create(client, inquiry_body())

    response = await client.post(STATUS_PATH, json=status_body(scheme="md5"))

    assert response.status_code == 200


async def test_a_status_request_with_a_wrong_signature_is_rejected_with_401(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await create(client, inquiry_body())

    response = await client.post(STATUS_PATH, json=status_body(signature="f" * 64))

    assert response.status_code == 401
    assert response.json() == {"Message": "Wrong signature"}


async def test_a_status_request_for_an_unknown_merchant_is_rejected_with_404(
    client: httpx.AsyncClient, status_body: BodyFactory
) -> None:
    response = await client.post(STATUS_PATH, json=status_body(merchantCode="D0001"))

    assert response.status_code == 404
    assert response.json() == {"Message": "Merchant not found"}


async def test_a_form_encoded_status_request_is_understood_too(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await create(client, inquiry_body())

    response = await client.post(STATUS_PATH, data=status_body())

    assert response.status_code == 200
    assert response.json()["statusCode"] == "01"


@pytest.fixture
async def md5_off_client(asgi_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    simulator = build_simulator(SimulatorConfig(request_signatures="hmac"))
    async with asgi_client(simulator.asgi_app) as client:
        yield client
    await simulator.aclose()


async def test_a_md5_status_request_is_rejected_when_md5_is_switched_off(
    md5_off_client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await create(md5_off_client, inquiry_body())

    response = await md5_off_client.post(STATUS_PATH, json=status_body(scheme="md5"))

    assert response.status_code == 401
