"""Injected faults make the simulated Duitku API slow, failing or silent on demand."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar

from entrypoints.duitku_simulator import FaultSettings, SimulatorConfig, build_simulator

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
BodyFactory = Callable[..., dict[str, Any]]
ClientFactory = Callable[[Litestar], httpx.AsyncClient]
NO_FAULTS = {"latency_ms": 0, "fail_next": 0, "timeout_next": 0, "wrong_callback_signature": False}


async def test_fail_next_answers_500_to_that_many_api_calls_then_recovers(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await client.post("/control/faults", json={"fail_next": 2})

    first = await client.post(INQUIRY_PATH, json=inquiry_body())
    second = await client.post(STATUS_PATH, json=status_body())
    third = await client.post(INQUIRY_PATH, json=inquiry_body())

    assert (first.status_code, second.status_code) == (500, 500)
    assert first.json() == {"Message": "Internal Server Error"}
    assert third.status_code == 200


async def test_a_call_failed_by_injection_creates_no_transaction(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    await client.post("/control/faults", json={"fail_next": 1})

    await client.post(INQUIRY_PATH, json=inquiry_body())

    assert (await client.get("/control/transactions/ORDER-0001")).status_code == 404


async def test_latency_delays_every_api_call(
    client: httpx.AsyncClient, status_body: BodyFactory
) -> None:
    await client.post("/control/faults", json={"latency_ms": 150})

    started = time.monotonic()
    await client.post(STATUS_PATH, json=status_body())
    await client.post(STATUS_PATH, json=status_body())
    elapsed = time.monotonic() - started

    assert elapsed >= 0.3


async def test_timeout_next_holds_the_response_beyond_a_client_timeout(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    await client.post("/control/faults", json={"timeout_next": 1})

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.post(INQUIRY_PATH, json=inquiry_body())


async def test_a_timed_out_inquiry_was_still_processed(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    # The configured sleep (0.5 s in the fixture) is what makes this test short.
    await client.post("/control/faults", json={"timeout_next": 1})

    started = time.monotonic()
    held = await client.post(INQUIRY_PATH, json=inquiry_body())
    held_for = time.monotonic() - started
    status = await client.post(STATUS_PATH, json=status_body())

    assert held_for >= 0.5
    assert held.status_code == 200
    assert status.json()["statusCode"] == "01"


async def test_only_the_next_call_times_out(
    client: httpx.AsyncClient, status_body: BodyFactory
) -> None:
    await client.post("/control/faults", json={"timeout_next": 1})
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.post(STATUS_PATH, json=status_body())

    started = time.monotonic()
    await client.post(STATUS_PATH, json=status_body())

    assert time.monotonic() - started < 0.4


async def test_faults_do_not_touch_the_control_endpoints(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    await client.post(INQUIRY_PATH, json=inquiry_body())
    await client.post("/control/faults", json={"fail_next": 1})

    inspected = await client.get("/control/transactions/ORDER-0001")
    faults = (await client.get("/control/faults")).json()

    assert inspected.status_code == 200
    assert faults["fail_next"] == 1


async def test_setting_faults_changes_only_the_given_ones_and_reports_all(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/control/faults", json={"latency_ms": 5})

    response = await client.post("/control/faults", json={"fail_next": 3})

    assert response.status_code == 200
    assert response.json() == {**NO_FAULTS, "latency_ms": 5, "fail_next": 3}


async def test_deleting_the_faults_resets_them_all(client: httpx.AsyncClient) -> None:
    await client.post(
        "/control/faults",
        json={"latency_ms": 5, "fail_next": 1, "timeout_next": 1, "wrong_callback_signature": True},
    )

    response = await client.delete("/control/faults")

    assert response.status_code == 200
    assert response.json() == NO_FAULTS
    assert (await client.get("/control/faults")).json() == NO_FAULTS


@pytest.mark.parametrize(
    "body",
    [
        {"fail_next": -1},
        {"fail_next": True},
        {"latency_ms": "100"},
        {"wrong_callback_signature": 1},
        {"explode": 1},
        [1, 2],
    ],
    ids=["negative", "bool-as-count", "string-count", "int-as-flag", "unknown-fault", "array"],
)
async def test_an_invalid_fault_request_is_rejected_with_400_and_changes_nothing(
    client: httpx.AsyncClient, body: Any
) -> None:
    response = await client.post("/control/faults", json=body)

    assert response.status_code == 400
    assert "error" in response.json()
    assert (await client.get("/control/faults")).json() == NO_FAULTS


async def test_faults_can_be_active_from_the_configuration(
    asgi_client: ClientFactory, inquiry_body: BodyFactory
) -> None:
    simulator = build_simulator(SimulatorConfig(faults=FaultSettings(fail_next=1)))
    async with asgi_client(simulator.asgi_app) as client:
        first = await client.post(INQUIRY_PATH, json=inquiry_body())
        second = await client.post(INQUIRY_PATH, json=inquiry_body())
    await simulator.aclose()

    assert (first.status_code, second.status_code) == (500, 200)


def test_a_negative_fault_in_the_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="latency_ms"):
        FaultSettings(latency_ms=-1)
