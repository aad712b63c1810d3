"""The Midtrans adapter's requests and how it reads each answer (MockTransport, no network)."""

import base64
import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from tests.unit.midtrans.conftest import NOTIFY_URL, SERVER_KEY, Handler, answer

from adapters.midtrans.gateway import MidtransPaymentGateway
from application.errors import (
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
)
from application.gateway import Customer, GatewayPaymentState, QrisChargeRequest

MakeGateway = Callable[[Handler], MidtransPaymentGateway]
REQUEST = QrisChargeRequest(
    "KSR-1", 70_000, "Order 7", Customer("Budi", "budi@example.test", "0812")
)
PENDING = {
    "status_code": "201",
    "transaction_id": "tx-1",
    "order_id": "KSR-1",
    "gross_amount": "70000.00",
    "transaction_status": "pending",
    "fraud_status": "accept",
    "qr_string": "00020101021226...6304ABCD",
    "actions": [
        {"name": "generate-qr-code", "method": "GET", "url": "https://midtrans.test/qr/tx-1"}
    ],
}


async def test_a_charge_is_a_basic_authenticated_qris_charge_naming_kasirs_endpoint(
    make_gateway: MakeGateway,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(**PENDING)

    charge = await make_gateway(handler).create_qris(REQUEST)

    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/v2/charge")
    expected = base64.b64encode(f"{SERVER_KEY}:".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["X-Override-Notification"] == NOTIFY_URL
    body = json.loads(request.content)
    assert body["payment_type"] == "qris"
    assert body["transaction_details"] == {"order_id": "KSR-1", "gross_amount": 70_000}
    assert body["qris"] == {"acquirer": "gopay"}
    assert body["custom_expiry"] == {"expiry_duration": 10, "unit": "minute"}
    assert (charge.gateway_reference, charge.qr_string) == ("tx-1", PENDING["qr_string"])
    assert charge.payment_url == "https://midtrans.test/qr/tx-1"
    assert charge.valid_for == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (answer(500, status_code="500", status_message="internal"), GatewayOutcomeUnknown),
        (answer(200, status_code="500", status_message="internal"), GatewayOutcomeUnknown),
        (httpx.Response(200, text="<html>proxy</html>"), GatewayOutcomeUnknown),
        (
            answer(200, status_code="406", status_message="Duplicate order ID"),
            GatewayOutcomeUnknown,
        ),
        (answer(400, status_code="400", status_message="invalid"), GatewayRejected),
        (answer(401, status_code="401", status_message="Unknown Merchant"), GatewayRejected),
        (answer(200, **{**PENDING, "qr_string": None}), GatewayRejected),
    ],
)
async def test_a_charge_answer_is_a_refusal_only_when_nothing_can_exist(
    make_gateway: MakeGateway, response: httpx.Response, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        await make_gateway(lambda _: response).create_qris(REQUEST)

    if error is GatewayRejected:
        assert not isinstance(raised.value, GatewayOutcomeUnknown)


async def test_a_charge_that_never_left_is_unavailable_and_a_lost_answer_is_unknown(
    make_gateway: MakeGateway,
) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def lost(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("lost", request=request)

    with pytest.raises(GatewayUnavailable) as never_sent:
        await make_gateway(refused).create_qris(REQUEST)
    assert not isinstance(never_sent.value, GatewayOutcomeUnknown)
    with pytest.raises(GatewayTimeout):
        await make_gateway(lost).create_qris(REQUEST)


@pytest.mark.parametrize(
    ("body", "state", "amount"),
    [
        (
            {"transaction_status": "settlement", "status_code": "200"},
            GatewayPaymentState.PAID,
            70_000,
        ),
        (
            {"transaction_status": "pending", "status_code": "201"},
            GatewayPaymentState.PENDING,
            70_000,
        ),
        (
            {"transaction_status": "expire", "status_code": "407"},
            GatewayPaymentState.FAILED,
            70_000,
        ),
        (
            {"transaction_status": "cancel", "status_code": "200"},
            GatewayPaymentState.FAILED,
            70_000,
        ),
        ({"transaction_status": "deny", "status_code": "202"}, GatewayPaymentState.FAILED, 70_000),
        (
            {"transaction_status": "settlement", "fraud_status": "challenge"},
            GatewayPaymentState.PENDING,
            70_000,
        ),
        (
            {"transaction_status": "settlement", "fraud_status": "deny"},
            GatewayPaymentState.FAILED,
            70_000,
        ),
    ],
)
async def test_a_status_answer_maps_to_kasirs_state_with_the_exact_amount(
    make_gateway: MakeGateway, body: dict[str, str], state: GatewayPaymentState, amount: int
) -> None:
    full = {"order_id": "KSR-1", "transaction_id": "tx-1", "gross_amount": "70000.00", **body}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return answer(**full)

    status = await make_gateway(handler).check_status("KSR-1")

    assert seen == ["GET /v2/KSR-1/status"]
    assert (status.state, status.amount, status.gateway_reference) == (state, amount, "tx-1")


async def test_midtrans_own_404_is_not_found(make_gateway: MakeGateway) -> None:
    gateway = make_gateway(
        lambda _: answer(404, status_code="404", status_message="Transaction doesn't exist.")
    )

    assert (await gateway.check_status("KSR-1")).state is GatewayPaymentState.NOT_FOUND


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (answer(**{"order_id": "KSR-1", "transaction_status": "refund"}), GatewayRejected),
        (answer(**{"order_id": "KSR-1", "transaction_status": "mystery"}), GatewayRejected),
        (answer(**{"order_id": "KSR-2", "transaction_status": "settlement"}), GatewayUnavailable),
        (
            answer(
                **{
                    "order_id": "KSR-1",
                    "transaction_status": "settlement",
                    "gross_amount": "70000.50",
                }
            ),
            GatewayUnavailable,
        ),
        (answer(401, status_code="401", status_message="Unknown Merchant"), GatewayRejected),
        (httpx.Response(404, text="<html>not here</html>"), GatewayUnavailable),
    ],
)
async def test_a_status_answer_kasir_cannot_settle_from_is_an_error_never_a_state(
    make_gateway: MakeGateway, response: httpx.Response, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await make_gateway(lambda _: response).check_status("KSR-1")


async def test_a_failing_status_check_is_retried_and_an_unreadable_one_is_not(
    make_gateway: MakeGateway,
) -> None:
    calls: list[int] = []

    def flaky(_: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return answer(503, status_code="503")
        return answer(order_id="KSR-1", transaction_status="pending", gross_amount="70000.00")

    assert (await make_gateway(flaky).check_status("KSR-1")).state is GatewayPaymentState.PENDING
    assert len(calls) == 2
    unreadable: list[int] = []

    def html(_: httpx.Request) -> httpx.Response:
        unreadable.append(1)
        return httpx.Response(200, text="<html>")

    with pytest.raises(GatewayUnavailable):
        await make_gateway(html).check_status("KSR-1")
    assert len(unreadable) == 1


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (answer(status_code="200", transaction_status="cancel"), None),
        (answer(404, status_code="404", status_message="Transaction doesn't exist."), None),
        (answer(412, status_code="412", status_message="cannot modify"), GatewayRejected),
        (answer(500, status_code="500"), GatewayUnavailable),
    ],
)
async def test_cancel_is_done_only_when_midtrans_cancelled_or_never_had_it(
    make_gateway: MakeGateway, response: httpx.Response, error: type[Exception] | None
) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return response

    gateway = make_gateway(handler)
    assert gateway.cancels_qris
    if error is None:
        await gateway.cancel_qris("KSR-1")
    else:
        with pytest.raises(error):
            await gateway.cancel_qris("KSR-1")
    assert seen == ["POST /v2/KSR-1/cancel"]


def test_the_server_key_stays_out_of_reprs(make_gateway: MakeGateway) -> None:
    gateway = make_gateway(lambda _: answer())
    assert SERVER_KEY not in repr(gateway)
    assert SERVER_KEY not in repr(vars(gateway)["_config"])
