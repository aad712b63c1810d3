"""The PaymentGateway contract, the same assertions for every adapter: each real adapter talks
over loopback TCP to its own simulator (an independent implementation of the gateway's
documentation), and the notifications the simulator delivers are verified by the adapter.

Only the harness (how to build an adapter and its simulator, how notifications arrive) differs
per gateway; nothing below names a gateway's field.
"""

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl

import pytest
import pytest_asyncio
from tests.integration.duitku.conftest import bind_loopback, root_url, serve

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway
from adapters.duitku.transport import make_http_client as duitku_client
from adapters.midtrans.config import MidtransConfig
from adapters.midtrans.gateway import MidtransPaymentGateway
from adapters.midtrans.transport import make_http_client as midtrans_client
from application.errors import (
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayUnavailable,
    NotificationRejected,
)
from application.gateway import (
    Customer,
    GatewayPaymentState,
    NotificationResult,
    PaymentGateway,
    QrisChargeRequest,
)
from entrypoints.duitku_simulator import SimulatorConfig, build_simulator
from entrypoints.duitku_simulator.qris_payload import crc_is_valid, parse_tlv
from entrypoints.midtrans_simulator import MidtransSimulatorConfig, build_midtrans_simulator

pytestmark = pytest.mark.asyncio(loop_scope="module")

EXPIRY_MINUTES = 7
CUSTOMER = Customer(name="Budi Santoso", email="budi@example.test", phone="081234567890")
NOTIFY_PATH = "/notifications"

Scope = dict[str, Any]


class Inbox:
    """A merchant endpoint recording each notification (form or JSON) as text fields."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        if headers.get(b"content-type", b"").startswith(b"application/json"):
            fields = {k: str(v) for k, v in json.loads(body).items() if v is not None}
        else:
            fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
        self.received.append(fields)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"OK"})


class Simulator(Protocol):
    async def pay(self, order_id: str, *, amount: int | None = None) -> Any: ...

    async def fail(self, order_id: str) -> Any: ...


@dataclass
class Harness:
    """One adapter against its running simulator, and how to drive that simulator."""

    name: str
    gateway: PaymentGateway
    simulator: Simulator
    expire: Callable[[str], Awaitable[Any]]
    set_faults: Callable[[dict[str, Any]], Awaitable[None]]
    notifications: list[dict[str, str]]
    unreachable: PaymentGateway  # the same adapter pointed at a port nobody listens on
    wrong_key: PaymentGateway  # the same adapter with credentials the gateway refuses


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def inbox() -> AsyncIterator[tuple[Inbox, str]]:
    receiver = Inbox()
    sock = bind_loopback()
    async with serve(receiver, sock, lifespan="off"):
        yield receiver, root_url(sock) + NOTIFY_PATH


def _closed_port() -> str:
    sock = bind_loopback()
    url = root_url(sock)
    sock.close()  # nothing listens there any more: connection refused
    return url


@contextlib.asynccontextmanager
async def _duitku(notify_url: str) -> AsyncIterator[Harness]:
    sock = bind_loopback()
    simulator = build_simulator(
        SimulatorConfig(
            public_base_url=root_url(sock), callback_retry_delay_s=0.01, timeout_sleep_s=1.0
        )
    )

    def config(base: str, key: str | None = None) -> DuitkuConfig:
        return DuitkuConfig(
            merchant_code=simulator.config.merchant_code,
            api_key=key or simulator.config.api_key,
            callback_url=notify_url,
            return_url="http://127.0.0.1/return",
            environment="simulator",
            base_url=f"{base}/webapi/api/merchant/",
            expiry_minutes=EXPIRY_MINUTES,
            status_retries=1,
            total_timeout=3,
        )

    async def expire(uid: str) -> Any:
        return simulator.expire(uid)

    async def set_faults(faults: dict[str, Any]) -> None:
        simulator.faults.update(faults)

    clients = [duitku_client(config(root_url(sock))) for _ in range(3)]
    async with serve(simulator.asgi_app, sock, lifespan="on"):
        yield Harness(
            "duitku",
            DuitkuPaymentGateway(config(root_url(sock)), clients[0]),
            simulator,
            expire,
            set_faults,
            [],
            DuitkuPaymentGateway(config(_closed_port()), clients[1]),
            DuitkuPaymentGateway(config(root_url(sock), "f" * 32), clients[2]),
        )
    for client in clients:
        await client.aclose()
    await simulator.aclose()


@contextlib.asynccontextmanager
async def _midtrans(notify_url: str) -> AsyncIterator[Harness]:
    sock = bind_loopback()
    simulator = build_midtrans_simulator(
        MidtransSimulatorConfig(
            public_base_url=root_url(sock), callback_retry_delay_s=0.01, timeout_sleep_s=1.0
        )
    )

    def config(base: str, key: str | None = None) -> MidtransConfig:
        return MidtransConfig(
            server_key=key or simulator.config.server_key,
            notification_url=notify_url,
            environment="simulator",
            base_url=base,
            expiry_minutes=EXPIRY_MINUTES,
            status_retries=1,
            total_timeout=3,
        )

    async def set_faults(faults: dict[str, Any]) -> None:
        simulator.faults.update(faults)

    configs = [config(root_url(sock)), config(_closed_port()), config(root_url(sock), "SB-x")]
    clients = [midtrans_client(c) for c in configs]
    async with serve(simulator.asgi_app, sock, lifespan="on"):
        yield Harness(
            "midtrans",
            MidtransPaymentGateway(configs[0], clients[0]),
            simulator,
            simulator.expire,
            set_faults,
            [],
            MidtransPaymentGateway(configs[1], clients[1]),
            MidtransPaymentGateway(configs[2], clients[2]),
        )
    for client in clients:
        await client.aclose()
    await simulator.aclose()


HARNESSES = {"duitku": _duitku, "midtrans": _midtrans}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=sorted(HARNESSES))
async def running(
    request: pytest.FixtureRequest, inbox: tuple[Inbox, str]
) -> AsyncIterator[Harness]:
    async with HARNESSES[request.param](inbox[1]) as harness:
        harness.notifications = inbox[0].received
        yield harness


@pytest_asyncio.fixture(loop_scope="module")
async def harness(running: Harness) -> Harness:
    """The module's harness with no faults and no notifications left by another test."""
    await running.set_faults({"fail_next": 0, "timeout_next": 0, "latency_ms": 0})
    running.notifications.clear()
    return running


_counter = iter(range(1, 10**6))


def _uid() -> str:
    return f"KSR-contract-{next(_counter):06d}"


async def _created(harness: Harness, amount: int = 55_000) -> str:
    uid = _uid()
    await harness.gateway.create_qris(QrisChargeRequest(uid, amount, "Order 7", CUSTOMER))
    return uid


async def test_a_charge_gives_a_qris_payload_with_its_amount_a_reference_and_the_validity(
    harness: Harness,
) -> None:
    charge = await harness.gateway.create_qris(
        QrisChargeRequest(_uid(), 55_000, "Order 7", CUSTOMER)
    )

    assert crc_is_valid(charge.qr_string)
    assert parse_tlv(charge.qr_string)["54"] == "55000"
    assert charge.gateway_reference
    assert charge.valid_for == timedelta(minutes=EXPIRY_MINUTES)


async def test_a_new_transaction_is_pending_with_its_whole_rupiah_amount(
    harness: Harness,
) -> None:
    uid = await _created(harness)

    status = await harness.gateway.check_status(uid)

    assert (status.state, status.amount) == (GatewayPaymentState.PENDING, 55_000)
    assert status.gateway_reference


async def test_a_paid_transaction_reports_paid_and_its_notification_verifies_as_success(
    harness: Harness,
) -> None:
    uid = await _created(harness)

    await harness.simulator.pay(uid)

    status = await harness.gateway.check_status(uid)
    assert (status.state, status.amount) == (GatewayPaymentState.PAID, 55_000)
    [fields] = harness.notifications
    notification = harness.gateway.verify_notification(fields)
    assert (notification.attempt_id, notification.amount, notification.result) == (
        uid,
        55_000,
        NotificationResult.SUCCESS,
    )
    assert harness.gateway.read_notification(fields).attempt_id == uid


async def test_a_failed_transaction_reports_failed_and_its_notification_says_so(
    harness: Harness,
) -> None:
    uid = await _created(harness)

    await harness.simulator.fail(uid)

    assert (await harness.gateway.check_status(uid)).state is GatewayPaymentState.FAILED
    [fields] = harness.notifications
    assert harness.gateway.verify_notification(fields).result is NotificationResult.FAILED


async def test_an_expired_transaction_reports_failed(harness: Harness) -> None:
    uid = await _created(harness)

    await harness.expire(uid)

    assert (await harness.gateway.check_status(uid)).state is GatewayPaymentState.FAILED


async def test_a_transaction_the_gateway_never_created_is_not_found(harness: Harness) -> None:
    status = await harness.gateway.check_status(_uid())

    assert status.state is GatewayPaymentState.NOT_FOUND


async def test_a_notification_changed_after_signing_is_rejected(harness: Harness) -> None:
    uid = await _created(harness)
    await harness.simulator.pay(uid)
    [fields] = harness.notifications
    # The amount is signed by every gateway: change it by one rupiah, as text.
    amount_field = next(k for k, v in fields.items() if v.split(".")[0] == "55000")
    forged = {**fields, amount_field: fields[amount_field].replace("55000", "55001")}

    with pytest.raises(NotificationRejected):
        harness.gateway.verify_notification(forged)


async def test_a_pending_qr_is_cancelled_where_the_gateway_can_and_a_paid_one_is_refused(
    harness: Harness,
) -> None:
    if not harness.gateway.cancels_qris:
        with pytest.raises(GatewayRejected):
            await harness.gateway.cancel_qris(await _created(harness))
        return
    pending, paid = await _created(harness), await _created(harness)
    await harness.simulator.pay(paid)

    await harness.gateway.cancel_qris(pending)

    assert (await harness.gateway.check_status(pending)).state is GatewayPaymentState.FAILED
    with pytest.raises(GatewayRejected):
        await harness.gateway.cancel_qris(paid)
    assert (await harness.gateway.check_status(paid)).state is GatewayPaymentState.PAID


async def test_a_gateway_failure_while_charging_is_an_unknown_outcome(harness: Harness) -> None:
    await harness.set_faults({"fail_next": 1})

    with pytest.raises(GatewayOutcomeUnknown):
        await _created(harness)


async def test_a_gateway_that_cannot_be_reached_created_nothing(harness: Harness) -> None:
    with pytest.raises(GatewayUnavailable) as raised:
        await harness.unreachable.create_qris(QrisChargeRequest(_uid(), 1_000, "x", CUSTOMER))

    assert not isinstance(raised.value, GatewayOutcomeUnknown)


async def test_credentials_the_gateway_refuses_are_a_definitive_refusal(harness: Harness) -> None:
    with pytest.raises(GatewayRejected):
        await harness.wrong_key.create_qris(QrisChargeRequest(_uid(), 55_000, "x", CUSTOMER))
