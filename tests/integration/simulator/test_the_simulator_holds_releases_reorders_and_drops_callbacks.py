"""The simulator's callback controls: a test holds a transaction's callbacks, then releases
them late, duplicated or reordered, or drops them; and a payer may pay another amount.

Callbacks go in-process to a tiny receiver app that records every form it gets.
"""

from collections.abc import AsyncIterator
from typing import Any, cast
from urllib.parse import parse_qsl

import httpx
import pytest
from litestar import Litestar, Request, post

from entrypoints.duitku_simulator import DuitkuSimulator, SimulatorConfig, build_simulator

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
CALLBACK_URL = "http://merchant.test/callback"
CONTROL = "/control/transactions"


class Receiver:
    """Records each callback form; answers 200."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []

        @post("/callback", status_code=200)
        async def callback(request: Request[Any, Any, Any]) -> str:
            self.forms.append(dict(parse_qsl((await request.body()).decode())))
            return "OK"

        self.app = Litestar(route_handlers=[callback], logging_config=None)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def simulator(receiver: Receiver) -> AsyncIterator[DuitkuSimulator]:
    simulator = build_simulator(
        SimulatorConfig(public_base_url="http://duitku.test", callback_retry_delay_s=0.0),
        callback_transport=httpx.ASGITransport(app=cast(Any, receiver.app)),
    )
    yield simulator
    await simulator.aclose()


@pytest.fixture
async def client(simulator: DuitkuSimulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cast(Any, simulator.asgi_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://duitku.test") as client:
        yield client


async def create(client: httpx.AsyncClient, inquiry_body: Any, order_id: str) -> None:
    body = inquiry_body(merchantOrderId=order_id, callbackUrl=CALLBACK_URL, paymentAmount=40000)
    response = await client.post(INQUIRY_PATH, json=body)
    assert response.status_code == 200, response.text


async def test_held_callbacks_are_sent_only_when_released(
    client: httpx.AsyncClient, receiver: Receiver, inquiry_body: Any
) -> None:
    await create(client, inquiry_body, "HOLD-1")
    held = await client.post(f"{CONTROL}/HOLD-1/callbacks/hold")
    assert held.status_code == 200
    assert held.json()["holding_callbacks"] is True

    paid = await client.post(f"{CONTROL}/HOLD-1/pay")
    assert paid.status_code == 200
    assert paid.json()["callback_deliveries"] == []
    assert paid.json()["callbacks_held"] == 1
    assert receiver.forms == []
    view = (await client.get(f"{CONTROL}/HOLD-1")).json()
    assert view["held_callbacks"] == [{"index": 0, "result_code": "00", "amount": "40000"}]

    released = await client.post(f"{CONTROL}/HOLD-1/callbacks/release")
    assert released.status_code == 200
    assert [item["callback_delivered"] for item in released.json()["released"]] == [True]
    assert [form["resultCode"] for form in receiver.forms] == ["00"]
    assert released.json()["held_callbacks"] == []
    assert released.json()["holding_callbacks"] is False


async def test_a_release_may_duplicate_and_reorder_held_callbacks(
    client: httpx.AsyncClient, receiver: Receiver, inquiry_body: Any, simulator: DuitkuSimulator
) -> None:
    await create(client, inquiry_body, "HOLD-2")
    await client.post(f"{CONTROL}/HOLD-2/callbacks/hold")
    await client.post(f"{CONTROL}/HOLD-2/pay")
    # A second held callback: the same transaction's callback resent (as Duitku's retries are).
    transaction = simulator.inspect("HOLD-2")
    transaction.held_callbacks.append({**transaction.held_callbacks[0], "resultCode": "01"})

    released = await client.post(
        f"{CONTROL}/HOLD-2/callbacks/release", json={"order": [1, 0, 0], "keep_holding": True}
    )
    assert released.status_code == 200
    assert [item["index"] for item in released.json()["released"]] == [1, 0, 0]
    assert [form["resultCode"] for form in receiver.forms] == ["01", "00", "00"]
    assert released.json()["holding_callbacks"] is True


async def test_dropped_callbacks_are_never_sent(
    client: httpx.AsyncClient, receiver: Receiver, inquiry_body: Any
) -> None:
    await create(client, inquiry_body, "HOLD-3")
    await client.post(f"{CONTROL}/HOLD-3/callbacks/hold")
    await client.post(f"{CONTROL}/HOLD-3/fail")
    dropped = await client.post(f"{CONTROL}/HOLD-3/callbacks/drop")
    assert dropped.status_code == 200
    assert dropped.json()["held_callbacks"] == []
    released = await client.post(f"{CONTROL}/HOLD-3/callbacks/release")
    assert released.json()["released"] == []
    assert receiver.forms == []


@pytest.mark.parametrize(
    "body",
    [{"order": [3]}, {"order": "0"}, {"order": [True]}, {"keep_holding": 1}, {"other": 1}, []],
)
async def test_a_release_with_bad_options_is_refused_and_keeps_the_callbacks(
    client: httpx.AsyncClient, receiver: Receiver, inquiry_body: Any, body: Any
) -> None:
    await create(client, inquiry_body, "HOLD-4")
    await client.post(f"{CONTROL}/HOLD-4/callbacks/hold")
    await client.post(f"{CONTROL}/HOLD-4/pay")
    refused = await client.post(f"{CONTROL}/HOLD-4/callbacks/release", json=body)
    assert refused.status_code == 400
    assert len((await client.get(f"{CONTROL}/HOLD-4")).json()["held_callbacks"]) == 1
    assert receiver.forms == []


async def test_callback_controls_of_an_unknown_transaction_answer_404(
    client: httpx.AsyncClient,
) -> None:
    for action in ("hold", "release", "drop"):
        response = await client.post(f"{CONTROL}/NOPE/callbacks/{action}")
        assert response.status_code == 404, action


async def test_a_payer_may_pay_another_amount_and_duitku_reports_it(
    client: httpx.AsyncClient, receiver: Receiver, inquiry_body: Any, status_body: Any
) -> None:
    await create(client, inquiry_body, "AMOUNT-1")
    paid = await client.post(f"{CONTROL}/AMOUNT-1/pay", json={"amount": 39000})
    assert paid.status_code == 200, paid.text
    assert receiver.forms[-1]["amount"] == "39000"
    status = await client.post(STATUS_PATH, json=status_body("AMOUNT-1"))
    assert status.json()["amount"] == "39000"
    assert status.json()["statusCode"] == "00"
    assert (await client.get(f"{CONTROL}/AMOUNT-1")).json()["paid_amount"] == 39000


@pytest.mark.parametrize("body", [{"amount": 0}, {"amount": "100"}, {"amount": True}, {"x": 1}])
async def test_a_pay_with_a_bad_amount_is_refused_and_pays_nothing(
    client: httpx.AsyncClient, inquiry_body: Any, body: dict[str, Any]
) -> None:
    await create(client, inquiry_body, "AMOUNT-2")
    refused = await client.post(f"{CONTROL}/AMOUNT-2/pay", json=body)
    assert refused.status_code == 400
    assert (await client.get(f"{CONTROL}/AMOUNT-2")).json()["state"] == "pending"
