"""The real Duitku adapter over real HTTP against the simulator: create, status, callbacks."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from adapters.duitku.gateway import DuitkuPaymentGateway
from application.errors import NotificationRejected
from application.gateway import (
    Customer,
    GatewayPaymentState,
    NotificationResult,
    QrisChargeRequest,
)
from entrypoints.duitku_simulator import DEV_MERCHANT_CODE, DuitkuSimulator

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

GatewayFactory = Callable[..., DuitkuPaymentGateway]
SimulatorFactory = Callable[..., Awaitable[DuitkuSimulator]]


def new_order_uid() -> str:
    return f"kasir-{uuid.uuid4().hex[:20]}"


def charge(order_uid: str, amount: int = 40000) -> QrisChargeRequest:
    return QrisChargeRequest(
        order_uid=order_uid,
        amount=amount,
        description="Nasi goreng x2, es teh x2",
        customer=Customer(name="Budi Santoso", email="budi@example.com", phone="0812-3456-789"),
    )


async def act(
    http: httpx.AsyncClient, simulator: DuitkuSimulator, order_uid: str, action: str
) -> dict[str, Any]:
    """Drive the simulator's control API like a payer would: pay, fail or expire."""
    url = f"{simulator.config.public_base_url}/control/transactions/{order_uid}/{action}"
    response = await http.post(url)
    assert response.status_code == 200, response.text
    outcome: dict[str, Any] = response.json()
    return outcome


async def test_creating_a_qris_returns_a_qris_payload_and_duitkus_reference(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator)

    created = await gateway.create_qris(charge(new_order_uid()))

    assert created.qr_string.startswith("000201")
    assert "5802ID" in created.qr_string
    assert created.gateway_reference.startswith(DEV_MERCHANT_CODE)
    assert created.gateway_reference in created.payment_url
    assert created.payment_url.startswith(simulator.config.public_base_url)


async def test_a_new_transaction_is_pending_with_its_amount_and_reference(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator)
    order_uid = new_order_uid()
    created = await gateway.create_qris(charge(order_uid, amount=52000))

    status = await gateway.check_status(order_uid)

    assert status.state is GatewayPaymentState.PENDING
    assert status.amount == 52000
    assert status.gateway_reference == created.gateway_reference


async def test_a_paid_transaction_reports_paid_and_its_callback_verifies_as_hmac(
    simulator: DuitkuSimulator,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    callbacks_received: list[dict[str, str]],
) -> None:
    gateway = make_gateway(simulator)
    order_uid = new_order_uid()
    created = await gateway.create_qris(charge(order_uid))

    outcome = await act(http, simulator, order_uid, "pay")

    assert outcome["callback_delivered"] is True
    assert (await gateway.check_status(order_uid)).state is GatewayPaymentState.PAID
    assert len(callbacks_received) == 1
    notification = gateway.verify_notification(callbacks_received[0])
    assert notification.order_uid == order_uid
    assert notification.amount == 40000
    assert notification.result is NotificationResult.SUCCESS
    assert notification.gateway_reference == created.gateway_reference
    assert notification.signature_scheme == "hmac"


async def test_a_failed_transaction_reports_failed_and_its_callback_is_a_failure(
    simulator: DuitkuSimulator,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    callbacks_received: list[dict[str, str]],
) -> None:
    gateway = make_gateway(simulator)
    order_uid = new_order_uid()
    await gateway.create_qris(charge(order_uid))

    await act(http, simulator, order_uid, "fail")

    assert (await gateway.check_status(order_uid)).state is GatewayPaymentState.FAILED
    notification = gateway.verify_notification(callbacks_received[0])
    assert notification.result is NotificationResult.FAILED


async def test_an_expired_transaction_reports_failed(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory, http: httpx.AsyncClient
) -> None:
    gateway = make_gateway(simulator)
    order_uid = new_order_uid()
    await gateway.create_qris(charge(order_uid))

    await act(http, simulator, order_uid, "expire")

    assert (await gateway.check_status(order_uid)).state is GatewayPaymentState.FAILED


@pytest.mark.parametrize("not_found_status", [400, 404])
async def test_an_order_duitku_never_saw_is_not_found_whatever_the_http_code(
    start_simulator: SimulatorFactory, make_gateway: GatewayFactory, not_found_status: int
) -> None:
    simulator = await start_simulator(not_found_status=not_found_status)
    gateway = make_gateway(simulator)

    status = await gateway.check_status(new_order_uid())

    assert status.state is GatewayPaymentState.NOT_FOUND


async def test_legacy_md5_signed_requests_are_accepted_by_the_simulator(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator, signature_scheme="md5")
    order_uid = new_order_uid()

    await gateway.create_qris(charge(order_uid))

    assert (await gateway.check_status(order_uid)).state is GatewayPaymentState.PENDING


async def test_an_md5_signed_callback_is_rejected_unless_md5_is_enabled(
    start_simulator: SimulatorFactory,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    callbacks_received: list[dict[str, str]],
) -> None:
    simulator = await start_simulator(callback_signature="md5")
    strict = make_gateway(simulator)
    lenient = make_gateway(simulator, callback_accept_md5=True)
    order_uid = new_order_uid()
    await strict.create_qris(charge(order_uid))

    await act(http, simulator, order_uid, "pay")

    with pytest.raises(NotificationRejected):
        strict.verify_notification(callbacks_received[0])
    notification = lenient.verify_notification(callbacks_received[0])
    assert notification.signature_scheme == "md5"
    assert notification.result is NotificationResult.SUCCESS


async def test_a_callback_with_a_wrong_signature_is_rejected(
    simulator: DuitkuSimulator,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    callbacks_received: list[dict[str, str]],
) -> None:
    gateway = make_gateway(simulator, callback_accept_md5=True)
    order_uid = new_order_uid()
    await gateway.create_qris(charge(order_uid))
    faults = await http.post(
        f"{simulator.config.public_base_url}/control/faults",
        json={"wrong_callback_signature": True},
    )
    assert faults.status_code == 200

    await act(http, simulator, order_uid, "pay")

    with pytest.raises(NotificationRejected):
        gateway.verify_notification(callbacks_received[0])
