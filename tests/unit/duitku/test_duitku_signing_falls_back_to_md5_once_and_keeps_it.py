"""DUITKU_SIGNATURE=auto: sign with HMAC; on Duitku's "Wrong signature", retry once with MD5.

A refused signature creates nothing at Duitku, so sending the same request again with the
other scheme is safe. Once MD5 is accepted the gateway keeps it for the process.
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway
from application.errors import GatewayRejected
from application.gateway import Customer, GatewayPaymentState, QrisChargeRequest

GatewayFactory = Callable[..., DuitkuPaymentGateway]

KEY = "732B39FC61796845775D2C4FB05332AF"
WRONG_SIGNATURE = {"Message": "Wrong signature"}


def md5_hex(message: str) -> str:
    return hashlib.md5((message + KEY).encode()).hexdigest()  # noqa: S324 - Duitku's legacy recipe


def hmac_hex(message: str) -> str:
    return hmac.new(KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


class Md5OnlyDuitku:
    """Answers like a Duitku that accepts only MD5 request signatures (or none at all)."""

    def __init__(self, *, accepts_md5: bool = True) -> None:
        self.accepts_md5 = accepts_md5
        self.schemes: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        order = body["merchantOrderId"]
        if request.url.path.endswith("/v2/inquiry"):
            message = f"D0001{order}{body['paymentAmount']}"
        else:
            message = f"D0001{order}"
        if body["signature"] == md5_hex(message):
            self.schemes.append("md5")
        elif body["signature"] == hmac_hex(message):
            self.schemes.append("hmac")
        else:
            raise AssertionError("signed with neither scheme")
        if self.schemes[-1] != "md5" or not self.accepts_md5:
            return httpx.Response(401, json=WRONG_SIGNATURE)
        if request.url.path.endswith("/v2/inquiry"):
            return httpx.Response(
                200,
                json={
                    "merchantCode": "D0001",
                    "reference": f"D0001REF{order}",
                    "paymentUrl": "https://sandbox.duitku.com/topup/topupdirectv2.aspx?ref=x",
                    "qrString": "00020101021226FAKEQR",
                    "statusCode": "00",
                    "statusMessage": "SUCCESS",
                },
            )
        return httpx.Response(
            200,
            json={"merchantOrderId": order, "amount": "40000", "statusCode": "01"},
        )


def charge(attempt_id: str) -> QrisChargeRequest:
    return QrisChargeRequest(
        attempt_id=attempt_id,
        amount=40000,
        description="Order #1",
        customer=Customer(name="Budi", email="budi@example.com"),
    )


async def test_auto_signing_retries_a_refused_hmac_inquiry_once_with_md5_and_keeps_md5(
    make_gateway: GatewayFactory,
) -> None:
    duitku = Md5OnlyDuitku()
    gateway = make_gateway(duitku)
    scheme_at_start = gateway.signature_scheme

    first = await gateway.create_qris(charge("order-1"))
    second = await gateway.create_qris(charge("order-2"))
    status = await gateway.check_status("order-2")

    assert first.gateway_reference == "D0001REForder-1"
    assert second.gateway_reference == "D0001REForder-2"
    assert status.state is GatewayPaymentState.PENDING
    assert duitku.schemes == ["hmac", "md5", "md5", "md5"]
    assert (scheme_at_start, gateway.signature_scheme) == ("hmac", "md5")


async def test_auto_signing_falls_back_on_a_status_check_too(
    make_gateway: GatewayFactory, sleeps: list[float]
) -> None:
    duitku = Md5OnlyDuitku()
    gateway = make_gateway(duitku)

    await gateway.check_status("order-1")
    await gateway.check_status("order-1")

    assert duitku.schemes == ["hmac", "md5", "md5"]
    assert sleeps == []


async def test_when_md5_is_refused_too_the_request_is_rejected_and_hmac_is_kept(
    make_gateway: GatewayFactory,
) -> None:
    duitku = Md5OnlyDuitku(accepts_md5=False)
    gateway = make_gateway(duitku)

    with pytest.raises(GatewayRejected) as raised:
        await gateway.create_qris(charge("order-1"))
    with pytest.raises(GatewayRejected):
        await gateway.check_status("order-1")

    assert raised.value.detail == "Wrong signature"
    assert duitku.schemes == ["hmac", "md5", "hmac", "md5"]
    assert gateway.signature_scheme == "hmac"


async def test_with_hmac_chosen_explicitly_there_is_no_fallback(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    duitku = Md5OnlyDuitku()
    gateway = make_gateway(duitku, replace(duitku_config, signature_scheme="hmac"))

    with pytest.raises(GatewayRejected):
        await gateway.create_qris(charge("order-1"))

    assert duitku.schemes == ["hmac"]


async def test_with_md5_chosen_explicitly_every_request_is_md5_signed(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    duitku = Md5OnlyDuitku()
    gateway = make_gateway(duitku, replace(duitku_config, signature_scheme="md5"))

    await gateway.create_qris(charge("order-1"))
    await gateway.check_status("order-1")

    assert duitku.schemes == ["md5", "md5"]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401, json={"Message": "Unauthorized"}),
        httpx.Response(401, text="<html>401 Authorization Required</html>"),
        httpx.Response(400, json={"Message": "Minimum Payment 10000 IDR"}),
        httpx.Response(404, json={"Message": "Merchant not found"}),
    ],
)
async def test_only_duitkus_wrong_signature_answer_triggers_the_md5_retry(
    make_gateway: GatewayFactory, answer: httpx.Response
) -> None:
    requests: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer

    gateway = make_gateway(refuse)

    with pytest.raises(GatewayRejected):
        await gateway.create_qris(charge("order-1"))

    assert len(requests) == 1
    assert gateway.signature_scheme == "hmac"
