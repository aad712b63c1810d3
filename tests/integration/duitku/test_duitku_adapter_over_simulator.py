"""The real Duitku adapter over real HTTP against the simulator: create, status, callbacks."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from adapters.duitku.gateway import DuitkuPaymentGateway
from application.errors import GatewayUnavailable, NotificationRejected
from application.gateway import (
    Customer,
    GatewayPaymentState,
    NotificationResult,
    QrisChargeRequest,
)
from entrypoints.duitku_simulator import DEV_MERCHANT_CODE, DuitkuSimulator

pytestmark = pytest.mark.asyncio(loop_scope="module")

GatewayFactory = Callable[..., DuitkuPaymentGateway]
SimulatorFactory = Callable[..., Awaitable[DuitkuSimulator]]


def new_attempt_id() -> str:
    return f"kasir-{uuid.uuid4().hex[:20]}"


def charge(attempt_id: str, amount: int = 40000) -> QrisChargeRequest:
    return QrisChargeRequest(
        attempt_id=attempt_id,
        amount=amount,
        description="Nasi goreng x2, es teh x2",
        customer=Customer(name="Budi Santoso", email="budi@example.com", phone="0812-3456-789"),
    )


async def act(
    http: httpx.AsyncClient, simulator: DuitkuSimulator, attempt_id: str, action: str
) -> dict[str, Any]:
    """Drive the simulator's control API like a payer would: pay, fail or expire."""
    url = f"{simulator.config.public_base_url}/control/transactions/{attempt_id}/{action}"
    response = await http.post(url)
    assert response.status_code == 200, response.text
    outcome: dict[str, Any] = response.json()
    return outcome


async def test_creating_a_qris_returns_a_qris_payload_and_duitkus_reference(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator)

    created = await gateway.create_qris(charge(new_attempt_id()))

    assert created.qr_string.startswith("000201")
    assert "5802ID" in created.qr_string
    assert created.gateway_reference.startswith(DEV_MERCHANT_CODE)
    assert created.gateway_reference in created.payment_url
    assert created.payment_url.startswith(simulator.config.public_base_url)


async def test_a_new_transaction_is_pending_with_its_amount_and_reference(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator)
    attempt_id = new_attempt_id()
    created = await gateway.create_qris(charge(attempt_id, amount=52000))

    status = await gateway.check_status(attempt_id)

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
    attempt_id = new_attempt_id()
    created = await gateway.create_qris(charge(attempt_id))

    outcome = await act(http, simulator, attempt_id, "pay")

    assert outcome["callback_delivered"] is True
    assert (await gateway.check_status(attempt_id)).state is GatewayPaymentState.PAID
    assert len(callbacks_received) == 1
    notification = gateway.verify_notification(callbacks_received[0])
    assert notification.attempt_id == attempt_id
    assert notification.amount == 40000
    assert notification.result is NotificationResult.SUCCESS
    assert notification.gateway_reference == created.gateway_reference
    assert notification.signature_scheme == "hmac"


@pytest.mark.parametrize(
    ("action", "callback_results"),
    [("fail", [NotificationResult.FAILED]), ("expire", [])],
)
async def test_a_failed_or_expired_transaction_reports_failed_with_a_failure_callback_if_any(
    simulator: DuitkuSimulator,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    callbacks_received: list[dict[str, str]],
    action: str,
    callback_results: list[NotificationResult],
) -> None:
    """A failure sends a failure callback; an expiry sends none (whether Duitku does is
    unknown), and the status check is what tells."""
    gateway = make_gateway(simulator)
    attempt_id = new_attempt_id()
    await gateway.create_qris(charge(attempt_id))

    await act(http, simulator, attempt_id, action)

    assert (await gateway.check_status(attempt_id)).state is GatewayPaymentState.FAILED
    assert [gateway.verify_notification(c).result for c in callbacks_received] == (callback_results)


async def test_an_order_duitku_never_saw_is_not_found_from_duitkus_own_400_answer(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator)

    status = await gateway.check_status(new_attempt_id())

    assert status.state is GatewayPaymentState.NOT_FOUND


async def test_a_not_found_answer_with_another_http_code_is_an_error_not_an_unknown_order(
    start_simulator: SimulatorFactory, make_gateway: GatewayFactory
) -> None:
    simulator = await start_simulator(not_found_status=404)
    gateway = make_gateway(simulator)

    with pytest.raises(GatewayUnavailable):
        await gateway.check_status(new_attempt_id())


async def test_legacy_md5_signed_requests_are_accepted_by_the_simulator(
    simulator: DuitkuSimulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway(simulator, signature_scheme="md5")
    attempt_id = new_attempt_id()

    await gateway.create_qris(charge(attempt_id))

    assert (await gateway.check_status(attempt_id)).state is GatewayPaymentState.PENDING


async def test_an_md5_signed_callback_verifies_by_default_and_not_when_hmac_only(
    start_simulator: SimulatorFactory,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    callbacks_received: list[dict[str, str]],
) -> None:
    simulator = await start_simulator(callback_signature="md5")
    default = make_gateway(simulator)
    hmac_only = make_gateway(simulator, callback_signatures="hmac")
    attempt_id = new_attempt_id()
    await default.create_qris(charge(attempt_id))

    await act(http, simulator, attempt_id, "pay")

    notification = default.verify_notification(callbacks_received[0])
    assert notification.signature_scheme == "md5"
    assert notification.result is NotificationResult.SUCCESS
    with pytest.raises(NotificationRejected):
        hmac_only.verify_notification(callbacks_received[0])


async def test_against_an_md5_only_duitku_kasir_falls_back_once_and_keeps_md5(
    start_simulator: SimulatorFactory,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    callbacks_received: list[dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator = await start_simulator(request_signatures="md5", callback_signature="md5")
    gateway = make_gateway(simulator)  # the defaults: DUITKU_SIGNATURE=auto, callbacks both
    first, second = new_attempt_id(), new_attempt_id()

    with caplog.at_level("WARNING", logger="kasir.duitku"):
        await gateway.create_qris(charge(first))
        await gateway.create_qris(charge(second))
        await act(http, simulator, first, "pay")
        paid = await gateway.check_status(first)
        pending = await gateway.check_status(second)

    fallbacks = [r for r in caplog.records if "retrying once with MD5" in r.getMessage()]
    assert len(fallbacks) == 1
    assert gateway.signature_scheme == "md5"
    assert paid.state is GatewayPaymentState.PAID
    assert pending.state is GatewayPaymentState.PENDING
    assert gateway.verify_notification(callbacks_received[0]).signature_scheme == "md5"


async def test_a_callback_with_a_wrong_signature_is_rejected(
    simulator: DuitkuSimulator,
    make_gateway: GatewayFactory,
    http: httpx.AsyncClient,
    callbacks_received: list[dict[str, str]],
) -> None:
    gateway = make_gateway(simulator)
    attempt_id = new_attempt_id()
    await gateway.create_qris(charge(attempt_id))
    faults = await http.post(
        f"{simulator.config.public_base_url}/control/faults",
        json={"wrong_callback_signature": True},
    )
    assert faults.status_code == 200

    await act(http, simulator, attempt_id, "pay")

    with pytest.raises(NotificationRejected):
        gateway.verify_notification(callbacks_received[0])
