"""The Midtrans simulator as a client sees it over HTTP (in-process): Basic auth with the
server key, QRIS charges whose payload decodes and passes its CRC, status, cancel, signed
JSON notifications retried until answered 2xx, the control routes and fault injection."""

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from entrypoints.duitku_simulator.qris_payload import crc_is_valid, parse_tlv
from entrypoints.midtrans_simulator import (
    MidtransSimulator,
    MidtransSimulatorConfig,
    build_midtrans_simulator,
)

KEY = "SB-Mid-server-SimulatorTestKey"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
NOTIFY = "http://merchant.test/notify"


class Merchant:
    """Answers notifications with the next scripted status (200 when the script is empty)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(json.loads(request.content))
        return httpx.Response(self.answers.pop(0) if self.answers else 200)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def merchant() -> Merchant:
    return Merchant()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def simulator(merchant: Merchant, clock: Clock) -> AsyncIterator[MidtransSimulator]:
    simulator = build_midtrans_simulator(
        MidtransSimulatorConfig(
            server_key=KEY, callback_retry_delay_s=0.0, max_callback_attempts=3
        ),
        clock=clock,
        callback_transport=httpx.MockTransport(merchant),
    )
    yield simulator
    await simulator.aclose()


@pytest.fixture
async def client(simulator: MidtransSimulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=simulator.asgi_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as client:
        yield client


def charge_body(order_id: str = "KSR-1", amount: Any = 70_000, **extra: Any) -> dict[str, Any]:
    return {
        "payment_type": "qris",
        "transaction_details": {"order_id": order_id, "gross_amount": amount},
        "qris": {"acquirer": "gopay"},
        "custom_expiry": {"expiry_duration": 10, "unit": "minute"},
        **extra,
    }


async def charge(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(
        "/v2/charge",
        json=charge_body(**body),
        headers={**AUTH, "X-Override-Notification": NOTIFY},
    )


async def test_a_charge_answers_a_pending_qris_whose_payload_decodes_with_its_crc(
    client: httpx.AsyncClient,
) -> None:
    answer = await charge(client)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status_code"], body["transaction_status"], body["gross_amount"]) == (
        "201",
        "pending",
        "70000.00",
    )
    assert crc_is_valid(body["qr_string"])
    assert parse_tlv(body["qr_string"])["54"] == "70000"
    [action] = body["actions"]
    assert action["name"] == "generate-qr-code"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic " + base64.b64encode(b"SB-Mid-server-wrong:").decode()}],
)
async def test_a_request_without_the_server_key_is_refused_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await client.post("/v2/charge", json=charge_body(), headers=headers)

    assert answer.status_code == 401
    assert answer.json()["status_code"] == "401"


@pytest.mark.parametrize("amount", [70_000.5, "70000", 0, 10_000_001])
async def test_an_amount_midtrans_would_refuse_is_a_400(
    client: httpx.AsyncClient, amount: Any
) -> None:
    answer = await charge(client, amount=amount)

    assert answer.status_code == 400
    assert answer.json()["validation_messages"]


@pytest.mark.parametrize(
    "body",
    [
        {"payment_type": "qris", "transaction_details": "KSR-1"},
        {**charge_body(), "qris": "gopay"},
        {**charge_body(), "qris": {"acquirer": "ovo"}},
        {**charge_body(), "qris": {"acquirer": ["gopay"]}},
        {**charge_body(), "payment_type": "gopay"},
        ["not", "an", "object"],
    ],
)
async def test_a_malformed_charge_is_a_400_never_a_crash(
    client: httpx.AsyncClient, body: Any
) -> None:
    answer = await client.post("/v2/charge", json=body, headers=AUTH)

    assert answer.status_code == 400, answer.text


async def test_a_reused_order_id_is_midtrans_406(client: httpx.AsyncClient) -> None:
    await charge(client)

    assert (await charge(client)).json()["status_code"] == "406"


async def test_status_reports_expire_once_the_custom_expiry_passed(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await charge(client)
    clock.now += timedelta(minutes=10)

    body = (await client.get("/v2/KSR-1/status", headers=AUTH)).json()

    assert (body["transaction_status"], body["status_code"]) == ("expire", "407")
    missing = await client.get("/v2/KSR-unknown/status", headers=AUTH)
    assert (missing.status_code, missing.json()["status_code"]) == (404, "404")


async def test_cancel_takes_a_pending_qr_and_refuses_a_settled_one(
    client: httpx.AsyncClient, simulator: MidtransSimulator
) -> None:
    await charge(client, order_id="KSR-1")
    await charge(client, order_id="KSR-2")
    await simulator.pay("KSR-2")

    cancelled = await client.post("/v2/KSR-1/cancel", headers=AUTH)
    refused = await client.post("/v2/KSR-2/cancel", headers=AUTH)

    assert cancelled.json()["transaction_status"] == "cancel"
    assert (refused.status_code, refused.json()["status_code"]) == (412, "412")
    paid_after_cancel = await client.post("/control/transactions/KSR-1/pay")
    assert paid_after_cancel.status_code == 409


async def test_a_payment_is_notified_signed_and_retried_until_answered_2xx(
    client: httpx.AsyncClient, merchant: Merchant
) -> None:
    await charge(client)
    merchant.answers = [503, 500]

    paid = await client.post("/control/transactions/KSR-1/pay")

    assert [d["status_code"] for d in paid.json()["callback_deliveries"]] == [503, 500, 200]
    body = merchant.received[-1]
    assert (body["transaction_status"], body["gross_amount"]) == ("settlement", "70000.00")
    signed = body["order_id"] + body["status_code"] + body["gross_amount"] + KEY
    assert body["signature_key"] == hashlib.sha512(signed.encode()).hexdigest()


@pytest.mark.parametrize(("action", "status"), [("fail", "deny"), ("expire", "expire")])
async def test_fail_and_expire_are_notified_too(
    client: httpx.AsyncClient, merchant: Merchant, action: str, status: str
) -> None:
    await charge(client)

    done = await client.post(f"/control/transactions/KSR-1/{action}")

    assert done.json()["state"] in ("failed", "expired")
    assert merchant.received[-1]["transaction_status"] == status


async def test_held_notifications_are_released_duplicated_or_dropped(
    client: httpx.AsyncClient, merchant: Merchant
) -> None:
    await charge(client)
    await client.post("/control/transactions/KSR-1/callbacks/hold")
    await client.post("/control/transactions/KSR-1/pay")
    assert merchant.received == []

    released = await client.post(
        "/control/transactions/KSR-1/callbacks/release", json={"order": [0, 0]}
    )

    assert [r["transaction_status"] for r in released.json()["released"]] == [
        "settlement",
        "settlement",
    ]
    assert len(merchant.received) == 2
    await client.post("/control/transactions/KSR-1/callbacks/drop")
    assert (await client.get("/control/transactions/KSR-1")).json()["held_callbacks"] == []


async def test_faults_fail_the_next_call_or_sign_notifications_wrongly(
    client: httpx.AsyncClient, merchant: Merchant
) -> None:
    await client.post("/control/faults", json={"fail_next": 1})
    failed = await charge(client)
    assert failed.status_code == 500
    assert (await client.get("/control/transactions")).json() == []

    await client.post("/control/faults", json={"wrong_callback_signature": True})
    await charge(client)
    await client.post("/control/transactions/KSR-1/pay")
    body = merchant.received[-1]
    signed = body["order_id"] + body["status_code"] + body["gross_amount"] + KEY
    assert body["signature_key"] != hashlib.sha512(signed.encode()).hexdigest()
    assert (await client.post("/control/faults", json={"nonsense": 1})).status_code == 400
