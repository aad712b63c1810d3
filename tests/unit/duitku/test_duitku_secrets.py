"""The API key never leaks (reprs, errors, logs), and every call is logged with its outcome."""

import json
import logging
from collections.abc import Callable

import httpx
import pytest

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway
from adapters.duitku.signature import callback_signature
from application.errors import ApplicationError, GatewayError
from application.gateway import Customer, QrisChargeRequest

GatewayFactory = Callable[..., DuitkuPaymentGateway]

REQUEST = QrisChargeRequest(
    attempt_id="kx7Qm2pLr9",
    amount=40000,
    description="Order #12",
    customer=Customer(name="Budi", email="budi@example.com"),
)


def answer(response: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(response, Exception):
            raise response
        return response

    return handler


FAILURES: list[httpx.Response | Exception] = [
    httpx.Response(401, json={"Message": "Wrong signature"}),
    httpx.Response(404, json={"Message": "Merchant not found"}),
    httpx.Response(500, text="Internal Server Error"),
    httpx.Response(200, text="not json"),
    httpx.Response(200, json={"statusCode": "99"}),
    httpx.ReadTimeout("timed out"),
    httpx.ConnectError("refused"),
]


def leaks(error: BaseException, secret: str) -> bool:
    texts = [str(error), repr(error), str(getattr(error, "detail", ""))]
    return any(secret in text for text in texts)


def test_repr_of_config_and_gateway_hides_the_api_key(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    gateway = make_gateway(answer(httpx.Response(200)))

    assert duitku_config.api_key not in repr(duitku_config)
    assert duitku_config.api_key not in repr(gateway)
    assert "D0001" in repr(gateway)


@pytest.mark.parametrize("failure", FAILURES)
async def test_no_error_raised_by_create_or_status_contains_the_api_key(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig, failure: httpx.Response | Exception
) -> None:
    gateway = make_gateway(answer(failure))

    with pytest.raises(GatewayError) as create_error:
        await gateway.create_qris(REQUEST)
    with pytest.raises(GatewayError) as status_error:
        await gateway.check_status(REQUEST.attempt_id)

    assert not leaks(create_error.value, duitku_config.api_key)
    assert not leaks(status_error.value, duitku_config.api_key)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"merchantCode": "D0001", "amount": "1", "merchantOrderId": "x", "resultCode": "00"},
        {
            "merchantCode": "D0001",
            "amount": "1",
            "merchantOrderId": "x",
            "resultCode": "00",
            "signature": "0" * 64,
        },
    ],
)
def test_no_notification_error_contains_the_api_key(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig, fields: dict[str, str]
) -> None:
    gateway = make_gateway(answer(httpx.Response(200)))

    with pytest.raises(ApplicationError) as raised:
        gateway.verify_notification(fields)

    assert not leaks(raised.value, duitku_config.api_key)


async def test_each_call_is_logged_with_order_http_status_and_duration_but_no_secret(
    make_gateway: GatewayFactory,
    duitku_config: DuitkuConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent_signatures: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_signatures.append(request.read().decode())
        return httpx.Response(400, json={"Message": "Minimum Payment 10000 IDR"})

    gateway = make_gateway(handler)
    caplog.set_level(logging.DEBUG, logger="kasir.duitku")

    with pytest.raises(GatewayError):
        await gateway.create_qris(REQUEST)

    records = [record for record in caplog.records if record.name == "kasir.duitku"]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "inquiry" in line
    assert "kx7Qm2pLr9" in line
    assert "http_status=400" in line
    assert "duration_ms=" in line
    assert "Minimum Payment 10000 IDR" in line
    assert records[0].__dict__["http_status"] == 400
    signature = sent_signatures[0].split('"signature":"')[1].split('"')[0]
    for record in caplog.records:
        assert duitku_config.api_key not in record.getMessage()
        assert signature not in record.getMessage()


def test_a_verified_callback_is_logged_with_its_scheme_but_not_its_signature(
    make_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = make_gateway(answer(httpx.Response(200)))
    signature = callback_signature(
        "D0001", "40000", "kx7Qm2pLr9", "732B39FC61796845775D2C4FB05332AF"
    )
    caplog.set_level(logging.INFO, logger="kasir.duitku")

    gateway.verify_notification(
        {
            "merchantCode": "D0001",
            "amount": "40000",
            "merchantOrderId": "kx7Qm2pLr9",
            "resultCode": "00",
            "signature": signature,
        }
    )

    line = caplog.records[-1].getMessage()
    assert "scheme=hmac" in line
    assert "kx7Qm2pLr9" in line
    assert signature not in line


@pytest.mark.parametrize("as_json", [False, True])
async def test_an_error_body_echoing_the_request_does_not_carry_the_signature_onward(
    make_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture, as_json: bool
) -> None:
    signatures: list[str] = []

    def echo(request: httpx.Request) -> httpx.Response:
        sent = request.read().decode()
        signatures.append(json.loads(sent)["signature"])
        if as_json:
            return httpx.Response(400, json={"Message": f"Bad request {sent}"})
        return httpx.Response(400, text=f"Bad request: {sent}")

    gateway = make_gateway(echo)
    caplog.set_level(logging.INFO, logger="kasir.duitku")

    with pytest.raises(GatewayError) as raised:
        await gateway.create_qris(REQUEST)

    prefix = signatures[0][:16]
    assert raised.value.detail is not None
    assert prefix not in raised.value.detail
    assert all(prefix not in record.getMessage() for record in caplog.records)
