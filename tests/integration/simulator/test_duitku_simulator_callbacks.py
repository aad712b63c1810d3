"""Paying or failing sends Duitku's form-encoded, signed callback with retries (API.md §7).

Callbacks need a real URL, so a tiny receiver runs under uvicorn on 127.0.0.1 with an
ephemeral port for the duration of each test.
"""

import asyncio
import contextlib
import hashlib
import hmac
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

import httpx
import pytest
import uvicorn
from litestar import Litestar

from entrypoints.duitku_simulator import (
    DEV_API_KEY,
    DEV_MERCHANT_CODE,
    FaultSettings,
    SimulatorConfig,
    build_simulator,
    create_simulator_app,
)

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
BodyFactory = Callable[..., dict[str, Any]]
ClientFactory = Callable[[Litestar], httpx.AsyncClient]
FAST = SimulatorConfig(callback_retry_delay_s=0.01, callback_timeout_s=2.0)
NOTIFICATION_FIELDS = {
    "merchantCode",
    "amount",
    "merchantOrderId",
    "productDetail",
    "additionalParam",
    "paymentCode",
    "resultCode",
    "merchantUserId",
    "reference",
    "signature",
    "publisherOrderId",
    "spUserHash",
    "settlementDate",
    "issuerCode",
    "customerName",
}


def expected_hmac(form: dict[str, str]) -> str:
    message = form["merchantCode"] + form["amount"] + form["merchantOrderId"]
    return hmac.new(DEV_API_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def expected_md5(form: dict[str, str]) -> str:
    message = form["merchantCode"] + form["amount"] + form["merchantOrderId"] + DEV_API_KEY
    return hashlib.md5(message.encode(), usedforsecurity=False).hexdigest()


@dataclass
class ReceivedCallback:
    """One request as the merchant's callback endpoint saw it."""

    method: str
    content_type: str
    form: dict[str, str]


@dataclass
class CallbackReceiver:
    """A merchant callback endpoint answering scripted statuses (then 200) and recording."""

    statuses: list[int] = field(default_factory=list)
    received: list[ReceivedCallback] = field(default_factory=list)
    url: str = ""

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        pairs = parse_qs(body.decode(), keep_blank_values=True)
        self.received.append(
            ReceivedCallback(
                method=scope["method"],
                content_type=headers.get("content-type", ""),
                form={key: values[0] for key, values in pairs.items()},
            )
        )
        status = self.statuses.pop(0) if self.statuses else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"OK"})


@contextlib.asynccontextmanager
async def served(app: Any, *, lifespan: Literal["on", "off"]) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 and an ephemeral port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(5):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(5):
            await task
        sock.close()


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    async with served(receiver, lifespan="off") as base_url:
        receiver.url = f"{base_url}/duitku/callback"
        yield receiver


RunAction = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def run_action(
    asgi_client: ClientFactory, inquiry_body: BodyFactory, receiver: CallbackReceiver
) -> RunAction:
    """Create ORDER-0001 calling back to the receiver, then pay/fail/expire it via HTTP.

    Takes the action name, optionally ``config=`` and ``faults=`` (set through the control
    API first); returns the control endpoint's JSON answer.
    """

    async def run(
        action: str, *, config: SimulatorConfig = FAST, faults: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        simulator = build_simulator(config)
        try:
            async with asgi_client(simulator.asgi_app) as client:
                if faults:
                    assert (await client.post("/control/faults", json=faults)).status_code == 200
                body = inquiry_body(callbackUrl=receiver.url, additionalParam="table=7")
                assert (await client.post(INQUIRY_PATH, json=body)).status_code == 200
                response = await client.post(f"/control/transactions/ORDER-0001/{action}")
                assert response.status_code == 200, response.text
                outcome: dict[str, Any] = response.json()
                return outcome
        finally:
            await simulator.aclose()

    return run


async def test_paying_posts_a_form_encoded_callback_with_every_duitku_field(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    outcome = await run_action("pay")

    assert outcome["state"] == "paid"
    assert outcome["callback_deliveries"] == [{"attempt": 1, "status_code": 200, "error": None}]
    [callback] = receiver.received
    assert callback.method == "POST"
    assert callback.content_type.startswith("application/x-www-form-urlencoded")
    form = callback.form
    assert set(form) == NOTIFICATION_FIELDS
    assert form["merchantCode"] == DEV_MERCHANT_CODE
    assert form["amount"] == "40000"
    assert form["merchantOrderId"] == "ORDER-0001"
    assert form["productDetail"] == "Nasi goreng x2"
    assert form["additionalParam"] == "table=7"
    assert form["paymentCode"] == "SP"
    assert form["resultCode"] == "00"
    assert form["reference"] == outcome["reference"]
    assert form["publisherOrderId"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", form["settlementDate"])
    assert form["issuerCode"] == "93600914"
    assert form["customerName"] == "J*** D**"


async def test_the_paid_callback_is_signed_with_hmac_sha256_by_default(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    await run_action("pay")

    form = receiver.received[0].form
    assert form["signature"] == expected_hmac(form)


async def test_the_callback_is_signed_with_legacy_md5_when_configured(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    config = SimulatorConfig(callback_signature="md5", callback_retry_delay_s=0.01)

    await run_action("pay", config=config)

    form = receiver.received[0].form
    assert form["signature"] == expected_md5(form)


async def test_failing_sends_a_callback_with_result_code_01_and_no_payer(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    outcome = await run_action("fail")

    assert outcome["state"] == "failed"
    form = receiver.received[0].form
    assert form["resultCode"] == "01"
    assert form["signature"] == expected_hmac(form)
    assert (form["issuerCode"], form["customerName"], form["settlementDate"]) == ("", "", "")


async def test_the_failure_result_code_can_be_configured_to_pops_02(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    config = SimulatorConfig(failed_result_code="02", callback_retry_delay_s=0.01)

    await run_action("fail", config=config)

    assert receiver.received[0].form["resultCode"] == "02"


async def test_expiring_sends_no_callback(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    outcome = await run_action("expire")

    assert outcome["state"] == "expired"
    assert outcome["callback_deliveries"] == []
    assert receiver.received == []


async def test_delivery_stops_after_5_attempts_while_the_merchant_answers_500(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    receiver.statuses.extend([500] * 10)

    outcome = await run_action("pay")

    assert [d["status_code"] for d in outcome["callback_deliveries"]] == [500] * 5
    assert [d["attempt"] for d in outcome["callback_deliveries"]] == [1, 2, 3, 4, 5]
    assert outcome["callback_delivered"] is False
    assert len(receiver.received) == 5


async def test_delivery_stops_at_the_first_200(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    receiver.statuses.extend([500, 503])

    outcome = await run_action("pay")

    assert [d["status_code"] for d in outcome["callback_deliveries"]] == [500, 503, 200]
    assert outcome["callback_delivered"] is True
    assert len(receiver.received) == 3


async def test_a_2xx_other_than_200_is_retried_like_a_failure(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    receiver.statuses.append(204)

    outcome = await run_action("pay")

    assert [d["status_code"] for d in outcome["callback_deliveries"]] == [204, 200]


async def test_every_retry_carries_the_same_callback(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    receiver.statuses.extend([500, 500])

    await run_action("pay")

    first, *others = [callback.form for callback in receiver.received]
    assert all(other == first for other in others)


async def test_an_unreachable_callback_url_is_reported_as_errors_after_5_attempts(
    asgi_client: ClientFactory, inquiry_body: BodyFactory
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    simulator = build_simulator(FAST)
    async with asgi_client(simulator.asgi_app) as client:
        body = inquiry_body(callbackUrl=f"http://127.0.0.1:{closed_port}/callback")
        await client.post(INQUIRY_PATH, json=body)
        outcome = (await client.post("/control/transactions/ORDER-0001/pay")).json()
        inspected = (await client.get("/control/transactions/ORDER-0001")).json()
    await simulator.aclose()

    deliveries = outcome["callback_deliveries"]
    assert len(deliveries) == 5
    assert all(d["status_code"] is None and d["error"] for d in deliveries)
    assert inspected["state"] == "paid"
    assert inspected["callback_deliveries"] == deliveries


async def test_the_wrong_callback_signature_fault_sends_a_signature_that_does_not_verify(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    await run_action("pay", faults={"wrong_callback_signature": True})

    form = receiver.received[0].form
    assert re.fullmatch(r"[0-9a-f]{64}", form["signature"])
    assert form["signature"] != expected_hmac(form)


async def test_the_wrong_callback_signature_fault_can_be_set_in_the_configuration(
    run_action: RunAction, receiver: CallbackReceiver
) -> None:
    config = SimulatorConfig(
        callback_retry_delay_s=0.01, faults=FaultSettings(wrong_callback_signature=True)
    )

    await run_action("pay", config=config)

    form = receiver.received[0].form
    assert form["signature"] != expected_hmac(form)


async def test_the_standalone_app_served_by_uvicorn_handles_a_whole_payment(
    inquiry_body: BodyFactory, status_body: BodyFactory, receiver: CallbackReceiver
) -> None:
    app = create_simulator_app(FAST)
    async with (
        served(app, lifespan="on") as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        body = inquiry_body(callbackUrl=receiver.url)
        created = await client.post(INQUIRY_PATH, json=body)
        paid = await client.post("/control/transactions/ORDER-0001/pay")
        status = await client.post(STATUS_PATH, json=status_body())

    assert created.status_code == 200
    assert paid.json()["callback_delivered"] is True
    assert receiver.received[0].form["reference"] == created.json()["reference"]
    assert status.json()["statusCode"] == "00"


async def test_a_held_response_is_released_when_the_client_gives_up(
    inquiry_body: BodyFactory,
) -> None:
    # With a 30 s hold, a server that kept holding would blow served()'s 5 s shutdown limit.
    app = create_simulator_app(SimulatorConfig(timeout_sleep_s=30.0))
    started = asyncio.get_running_loop().time()
    async with served(app, lifespan="on") as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=0.3) as client:
            await client.post("/control/faults", json={"timeout_next": 1})
            with pytest.raises(httpx.ReadTimeout):
                await client.post(INQUIRY_PATH, json=inquiry_body())
        async with httpx.AsyncClient(base_url=base_url) as client:
            created = (await client.get("/control/transactions/ORDER-0001")).json()

    assert created["state"] == "pending"
    assert asyncio.get_running_loop().time() - started < 3
