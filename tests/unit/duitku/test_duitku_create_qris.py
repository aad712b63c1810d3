"""create_qris: the v2 inquiry it sends and how every answer or failure maps to the port."""

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway
from application.errors import (
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
)
from application.gateway import Customer, QrisChargeRequest

GatewayFactory = Callable[..., DuitkuPaymentGateway]

QR = (
    "00020101021226670016COM.NOBUBANK.WWW01189360050300000879140214844519767362640303"
    "UMI51440014ID.CO.QRIS.WWW0215ID20222337822690303UMI5204481253033605405100005802I"
    "D5907KASIR6007JAKARTA6304ABCD"
)


def charge_request(**overrides: Any) -> QrisChargeRequest:
    values: dict[str, Any] = {
        "attempt_id": "kx7Qm2pLr9",
        "amount": 40000,
        "description": "Order #12 at Warung Kasir",
        "customer": Customer(name="Budi Santoso", email="budi@example.com", phone="0812-3456-789"),
    }
    values.update(overrides)
    return QrisChargeRequest(**values)


def created(**overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "merchantCode": "D0001",
        "reference": "D0001CX80TZJ85Q70QCI",
        "paymentUrl": "https://sandbox.duitku.com/topup/topupdirectv2.aspx?ref=D0001CX8",
        "vaNumber": "",
        "qrString": QR,
        "amount": "40000",
        "statusCode": "00",
        "statusMessage": "SUCCESS",
    }
    body.update(overrides)
    return httpx.Response(200, json=body)


class Recorder:
    """A MockTransport handler that answers with `response` and keeps what it was sent."""

    def __init__(self, response: httpx.Response | Exception) -> None:
        self.response = response
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.response, Exception):
            raise self.response
        return self.response

    def body(self, index: int = 0) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.requests[index].content)
        return parsed


async def test_a_created_transaction_returns_its_qr_string_reference_and_validity(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(Recorder(created()))

    charge = await gateway.create_qris(charge_request())

    assert charge.qr_string == QR
    assert charge.gateway_reference == "D0001CX80TZJ85Q70QCI"
    assert charge.payment_url.startswith("https://sandbox.duitku.com/topup/")
    assert charge.valid_for == timedelta(minutes=10)


async def test_the_inquiry_is_a_json_post_to_v2_inquiry_with_every_documented_field(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    recorder = Recorder(created())
    gateway = make_gateway(recorder)

    await gateway.create_qris(charge_request())

    request = recorder.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://duitku.test/webapi/api/merchant/v2/inquiry"
    assert request.headers["content-type"] == "application/json"
    assert recorder.body() == {
        "merchantCode": "D0001",
        "paymentAmount": 40000,
        "paymentMethod": "SP",
        "merchantOrderId": "kx7Qm2pLr9",
        "productDetails": "Order #12 at Warung Kasir",
        "email": "budi@example.com",
        "customerVaName": "Budi Santoso",
        "callbackUrl": duitku_config.callback_url,
        "returnUrl": duitku_config.return_url,
        "signature": hmac.new(
            duitku_config.api_key.encode(), b"D0001kx7Qm2pLr940000", hashlib.sha256
        ).hexdigest(),
        "phoneNumber": "08123456789",
        "expiryPeriod": 10,
    }


async def test_the_inquiry_is_signed_with_legacy_md5_when_configured(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    recorder = Recorder(created())
    md5_config = replace(duitku_config, signature_scheme="md5", payment_method="NQ")
    gateway = make_gateway(recorder, md5_config)

    await gateway.create_qris(charge_request())

    body = recorder.body()
    assert (
        body["signature"]
        == hashlib.md5(f"D0001kx7Qm2pLr940000{duitku_config.api_key}".encode()).hexdigest()  # noqa: S324
    )
    assert body["paymentMethod"] == "NQ"


async def test_expiry_period_and_validity_follow_the_configured_minutes(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    recorder = Recorder(created())
    gateway = make_gateway(recorder, replace(duitku_config, expiry_minutes=15))

    charge = await gateway.create_qris(charge_request())

    assert recorder.body()["expiryPeriod"] == 15
    assert charge.valid_for == timedelta(minutes=15)


async def test_customer_name_description_and_phone_are_cut_to_duitkus_limits(
    make_gateway: GatewayFactory,
) -> None:
    recorder = Recorder(created())
    gateway = make_gateway(recorder)
    request = charge_request(
        description="x" * 300,
        customer=Customer(
            name="  Raden Mas Bagus Wicaksono Hadiningrat ",
            email="budi@example.com",
            phone="+62 (812) 3456-7890-1234-5678",
        ),
    )

    await gateway.create_qris(request)

    body = recorder.body()
    assert body["customerVaName"] == "Raden Mas Bagus Wica"
    assert len(body["productDetails"]) == 255
    assert body["phoneNumber"] == "62812345678901234567"


@pytest.mark.parametrize("phone", [None, "", "n/a"])
async def test_a_missing_or_digitless_phone_number_is_left_out(
    make_gateway: GatewayFactory, phone: str | None
) -> None:
    recorder = Recorder(created())
    gateway = make_gateway(recorder)

    await gateway.create_qris(
        charge_request(customer=Customer(name="Budi", email="budi@example.com", phone=phone))
    )

    assert "phoneNumber" not in recorder.body()
    assert "merchantUserInfo" not in recorder.body()


async def test_the_amount_in_the_answer_may_be_a_number_instead_of_a_string(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(Recorder(created(amount=40000, unknownFutureField={"x": 1})))

    charge = await gateway.create_qris(charge_request())

    assert charge.qr_string == QR


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "Minimum Payment 10000 IDR"),
        (400, "Maximum Payment exceeded"),
        (400, "length of merchantOrderId can't > 50"),
        (400, "Invalid Email Address"),
        (401, "Wrong signature"),
        (404, "Merchant not found"),
        (404, "Payment channel not available"),
        (409, "Duplicate merchantOrderId"),
        (409, "Payment amount must be equal to all item price"),
    ],
)
async def test_a_4xx_answer_is_a_rejection_carrying_duitkus_message(
    make_gateway: GatewayFactory, status: int, message: str
) -> None:
    gateway = make_gateway(Recorder(httpx.Response(status, json={"Message": message})))

    with pytest.raises(GatewayRejected) as raised:
        await gateway.create_qris(charge_request())

    assert raised.value.detail == message
    assert str(status) in str(raised.value)


async def test_a_4xx_answer_without_a_json_body_is_still_a_rejection(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(Recorder(httpx.Response(400, content=b"")))

    with pytest.raises(GatewayRejected) as raised:
        await gateway.create_qris(charge_request())

    assert raised.value.detail == "HTTP 400"


async def test_a_5xx_answer_is_an_unknown_outcome_keeping_duitkus_message(
    make_gateway: GatewayFactory,
) -> None:
    recorder = Recorder(
        httpx.Response(500, json={"Message": "Failed to generate QR String LinkAja"})
    )
    gateway = make_gateway(recorder)

    with pytest.raises(GatewayOutcomeUnknown) as raised:
        await gateway.create_qris(charge_request())

    assert not isinstance(raised.value, GatewayUnavailable | GatewayRejected)
    assert raised.value.detail == "Failed to generate QR String LinkAja"
    assert len(recorder.requests) == 1


async def test_a_5xx_html_page_is_an_unknown_outcome_with_an_excerpt_as_detail(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(Recorder(httpx.Response(502, text="<html>\n Bad   gateway </html>")))

    with pytest.raises(GatewayOutcomeUnknown) as raised:
        await gateway.create_qris(charge_request())

    assert raised.value.detail == "<html> Bad gateway </html>"


async def test_a_success_status_with_a_body_that_is_not_json_is_an_unknown_outcome(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(Recorder(httpx.Response(200, text="<html>maintenance</html>")))

    with pytest.raises(GatewayOutcomeUnknown, match="not the expected JSON") as raised:
        await gateway.create_qris(charge_request())

    assert not isinstance(raised.value, GatewayUnavailable)


async def test_a_redirect_is_not_followed_and_counts_as_unavailable(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(
        Recorder(httpx.Response(302, headers={"Location": "https://elsewhere.test/"}))
    )

    with pytest.raises(GatewayUnavailable, match="302"):
        await gateway.create_qris(charge_request())


async def test_an_answer_without_a_qr_string_is_a_rejection(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(Recorder(created(qrString=None, vaNumber="8801234567")))

    with pytest.raises(GatewayRejected, match="QRIS payload"):
        await gateway.create_qris(charge_request())


async def test_an_answer_with_a_status_code_other_than_00_is_a_rejection(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(Recorder(created(statusCode="01", statusMessage="PROCESS")))

    with pytest.raises(GatewayRejected) as raised:
        await gateway.create_qris(charge_request())

    assert raised.value.detail == "PROCESS"


async def test_a_read_timeout_after_sending_is_an_unknown_outcome_and_never_retried(
    make_gateway: GatewayFactory,
) -> None:
    recorder = Recorder(httpx.ReadTimeout("timed out"))
    gateway = make_gateway(recorder)

    with pytest.raises(GatewayTimeout):
        await gateway.create_qris(charge_request())

    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    "error",
    [httpx.WriteTimeout("slow"), httpx.ReadError("reset"), httpx.RemoteProtocolError("closed")],
)
async def test_losing_the_connection_after_sending_is_an_unknown_outcome(
    make_gateway: GatewayFactory, error: Exception
) -> None:
    gateway = make_gateway(Recorder(error))

    with pytest.raises(GatewayTimeout):
        await gateway.create_qris(charge_request())


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")],
)
async def test_failing_before_the_request_is_sent_means_unavailable_and_never_retried(
    make_gateway: GatewayFactory, error: Exception
) -> None:
    recorder = Recorder(error)
    gateway = make_gateway(recorder)

    with pytest.raises(GatewayUnavailable):
        await gateway.create_qris(charge_request())

    assert len(recorder.requests) == 1


async def test_an_answer_slower_than_the_total_deadline_is_a_timeout(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return created()

    gateway = make_gateway(slow, replace(duitku_config, total_timeout=0.05))

    with pytest.raises(GatewayTimeout):
        await gateway.create_qris(charge_request())
