"""Every documented refusal, 5xx and timeout the simulator produces, as the port's errors."""

import socket
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adapters.duitku.gateway import DuitkuPaymentGateway
from application.errors import (
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
)
from application.gateway import Customer, GatewayPaymentState, QrisChargeRequest
from entrypoints.duitku_simulator import DEV_API_KEY, DuitkuSimulator

pytestmark = pytest.mark.asyncio(loop_scope="module")

GatewayFactory = Callable[..., DuitkuPaymentGateway]

SHORT_READ_TIMEOUT = {"read_timeout": 0.3, "total_timeout": 2.0}


def new_attempt_id() -> str:
    return f"kasir-{uuid.uuid4().hex[:20]}"


def charge(attempt_id: str | None = None, amount: int = 40000) -> QrisChargeRequest:
    return QrisChargeRequest(
        attempt_id=attempt_id or new_attempt_id(),
        amount=amount,
        description="Soto ayam",
        customer=Customer(name="Siti", email="siti@example.com"),
    )


async def set_faults(http: httpx.AsyncClient, simulator: DuitkuSimulator, **faults: Any) -> None:
    response = await http.post(f"{simulator.config.public_base_url}/control/faults", json=faults)
    assert response.status_code == 200, response.text


async def faults_now(http: httpx.AsyncClient, simulator: DuitkuSimulator) -> dict[str, Any]:
    response = await http.get(f"{simulator.config.public_base_url}/control/faults")
    settings: dict[str, Any] = response.json()
    return settings


async def test_an_amount_below_the_minimum_is_rejected_with_duitkus_message(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    with pytest.raises(GatewayRejected) as raised:
        await make_gateway(simulator).create_qris(charge(amount=5000))

    assert raised.value.detail == "Minimum Payment 10000 IDR"


async def test_a_request_signed_with_the_wrong_key_is_rejected_as_wrong_signature(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator, api_key=DEV_API_KEY[::-1])

    with pytest.raises(GatewayRejected) as create_error:
        await gateway.create_qris(charge())
    with pytest.raises(GatewayRejected) as status_error:
        await gateway.check_status(new_attempt_id())

    assert create_error.value.detail == "Wrong signature"
    assert status_error.value.detail == "Wrong signature"
    assert DEV_API_KEY[::-1] not in str(create_error.value)


async def test_an_unknown_merchant_is_rejected_and_not_mistaken_for_an_unknown_order(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator, merchant_code="DS99999")

    with pytest.raises(GatewayRejected) as create_error:
        await gateway.create_qris(charge())
    with pytest.raises(GatewayRejected) as status_error:
        await gateway.check_status(new_attempt_id())

    assert create_error.value.detail == "Merchant not found"
    assert status_error.value.detail == "Merchant not found"


async def test_a_channel_not_enabled_for_the_project_is_rejected(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    with pytest.raises(GatewayRejected) as raised:
        await make_gateway(simulator, payment_method="LQ").create_qris(charge())

    assert raised.value.detail == "Payment channel not available"


async def test_reusing_a_merchant_order_id_is_rejected(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator)
    attempt_id = new_attempt_id()
    await gateway.create_qris(charge(attempt_id))

    with pytest.raises(GatewayRejected) as raised:
        await gateway.create_qris(charge(attempt_id))

    assert raised.value.detail == "Duplicate merchantOrderId"


async def test_a_merchant_order_id_longer_than_50_characters_is_rejected(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    with pytest.raises(GatewayRejected) as raised:
        await make_gateway(simulator).create_qris(charge("x" * 51))

    assert raised.value.detail == "length of merchantOrderId can't > 50"


async def test_a_server_error_on_create_is_an_unknown_outcome_with_its_message(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory, http: httpx.AsyncClient
) -> None:
    await set_faults(http, simulator, fail_next=1)

    with pytest.raises(GatewayOutcomeUnknown) as raised:
        await make_gateway(simulator).create_qris(charge())

    assert not isinstance(raised.value, GatewayUnavailable)
    assert raised.value.detail == "Internal Server Error"


@pytest.mark.parametrize(
    ("fault", "failures"),
    [("fail_next", 2), ("timeout_next", 1)],
    ids=["server-errors", "a-timeout"],
)
async def test_a_failed_status_request_is_retried_and_the_retry_answers(
    simulator: DuitkuSimulator,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    backoff_sleeps: list[float],
    fault: str,
    failures: int,
) -> None:
    gateway = make_gateway(simulator, **SHORT_READ_TIMEOUT)
    attempt_id = new_attempt_id()
    await gateway.create_qris(charge(attempt_id))
    await set_faults(http, simulator, **{fault: failures})

    status = await gateway.check_status(attempt_id)

    assert status.state is GatewayPaymentState.PENDING
    assert len(backoff_sleeps) == failures


async def test_persistent_server_errors_on_status_raise_unavailable_after_the_retries(
    simulator: DuitkuSimulator,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
) -> None:
    gateway = make_gateway(simulator, status_retries=3)
    await set_faults(http, simulator, fail_next=5)

    with pytest.raises(GatewayUnavailable):
        await gateway.check_status(new_attempt_id())

    assert (await faults_now(http, simulator))["fail_next"] == 2


async def test_a_create_whose_answer_never_comes_is_a_timeout_though_duitku_created_it(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory, http: httpx.AsyncClient
) -> None:
    gateway = make_gateway(simulator, **SHORT_READ_TIMEOUT)
    attempt_id = new_attempt_id()
    await set_faults(http, simulator, timeout_next=1)

    with pytest.raises(GatewayTimeout):
        await gateway.create_qris(charge(attempt_id))

    assert (await gateway.check_status(attempt_id)).state is GatewayPaymentState.PENDING


async def test_status_timeouts_on_every_attempt_raise_a_timeout_after_the_retries(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory, http: httpx.AsyncClient
) -> None:
    gateway = make_gateway(simulator, status_retries=2, **SHORT_READ_TIMEOUT)
    await set_faults(http, simulator, timeout_next=3)

    with pytest.raises(GatewayTimeout):
        await gateway.check_status(new_attempt_id())

    assert (await faults_now(http, simulator))["timeout_next"] == 1


async def test_latency_beyond_the_total_deadline_is_a_timeout(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory, http: httpx.AsyncClient
) -> None:
    gateway = make_gateway(simulator, read_timeout=5.0, total_timeout=0.3)
    await set_faults(http, simulator, latency_ms=1000)

    with pytest.raises(GatewayTimeout):
        await gateway.create_qris(charge())


async def test_a_refused_connection_is_unavailable(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    # A bound but never listening socket: the port is ours and connecting is refused.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        gateway = make_gateway(simulator, base_url=f"http://127.0.0.1:{port}/webapi/api/merchant/")

        with pytest.raises(GatewayUnavailable) as raised:
            await gateway.create_qris(charge())

    assert raised.value.detail == "ConnectError"
