"""``POST /webapi/api/merchant/v2/inquiry`` answers and rejects like Duitku (API.md §5)."""

import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar

from entrypoints.duitku_simulator import DEV_MERCHANT_CODE, SimulatorConfig, build_simulator

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
BodyFactory = Callable[..., dict[str, Any]]
ClientFactory = Callable[[Litestar], httpx.AsyncClient]


@pytest.fixture
async def strict_client(asgi_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A simulator that, like a post-migration Duitku, refuses MD5 request signatures."""
    simulator = build_simulator(SimulatorConfig(request_signatures="hmac"))
    async with asgi_client(simulator.asgi_app) as client:
        yield client
    await simulator.aclose()


async def test_a_valid_inquiry_is_answered_with_duitkus_success_body(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(paymentAmount=40000))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {
        "merchantCode",
        "reference",
        "paymentUrl",
        "vaNumber",
        "qrString",
        "amount",
        "statusCode",
        "statusMessage",
    }
    assert body["merchantCode"] == DEV_MERCHANT_CODE
    assert body["vaNumber"] == ""
    assert body["amount"] == "40000"
    assert body["statusCode"] == "00"
    assert body["statusMessage"] == "SUCCESS"
    assert body["qrString"].startswith("000201010212")


async def test_the_reference_is_the_merchant_code_followed_by_upper_case_alphanumerics(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    first = (await client.post(INQUIRY_PATH, json=inquiry_body(merchantOrderId="A1"))).json()
    second = (await client.post(INQUIRY_PATH, json=inquiry_body(merchantOrderId="A2"))).json()

    assert re.fullmatch(rf"{DEV_MERCHANT_CODE}[A-Z0-9]{{17}}", first["reference"])
    assert first["reference"] != second["reference"]


async def test_the_payment_url_is_the_topup_page_under_the_public_base_url(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    body = (await client.post(INQUIRY_PATH, json=inquiry_body())).json()

    assert body["paymentUrl"] == (
        f"http://duitku.test/topup/topupdirectv2.aspx?ref={body['reference']}"
    )


async def test_the_payment_url_serves_a_page_for_the_transaction(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    body = (await client.post(INQUIRY_PATH, json=inquiry_body())).json()

    page = await client.get(body["paymentUrl"])

    assert page.status_code == 200
    assert body["reference"] in page.text
    assert 'action="../control/transactions/ORDER-0001/pay"' in page.text


async def test_an_inquiry_signed_with_hmac_sha256_is_accepted(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(scheme="hmac"))

    assert response.status_code == 200


async def test_an_inquiry_signed_with_legacy_md5_is_accepted_by_default(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(scheme="md5"))

    assert response.status_code == 200


async def test_an_inquiry_signed_with_md5_is_rejected_when_md5_is_switched_off(
    strict_client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    md5 = await strict_client.post(INQUIRY_PATH, json=inquiry_body(scheme="md5"))
    hmac_ = await strict_client.post(
        INQUIRY_PATH, json=inquiry_body(scheme="hmac", merchantOrderId="ORDER-0002")
    )

    assert md5.status_code == 401
    assert md5.json() == {"Message": "Wrong signature"}
    assert hmac_.status_code == 200


async def test_inquiry_with_a_wrong_signature_is_rejected_with_401(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(signature="0" * 64))

    assert response.status_code == 401
    assert response.json() == {"Message": "Wrong signature"}


async def test_inquiry_with_an_upper_case_signature_is_rejected_with_401(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    body = inquiry_body()
    body["signature"] = body["signature"].upper()

    response = await client.post(INQUIRY_PATH, json=body)

    assert response.status_code == 401


async def test_inquiry_whose_signed_amount_differs_from_the_sent_amount_is_rejected_with_401(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    body = inquiry_body(paymentAmount=40000)
    body["paymentAmount"] = 400000

    response = await client.post(INQUIRY_PATH, json=body)

    assert response.status_code == 401


async def test_an_empty_body_is_rejected_with_401_as_duitku_does(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(INQUIRY_PATH, content=b"")

    assert response.status_code == 401
    assert response.json() == {"Message": "Wrong signature"}


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"paymentAmount": "40000.00", "signature": "x"}'],
    ids=["syntax-error", "not-an-object", "amount-with-decimals"],
)
async def test_an_unreadable_body_is_rejected_with_400(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        INQUIRY_PATH, content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"Message"}


async def test_an_amount_below_10000_is_rejected_with_400(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(paymentAmount=9999))

    assert response.status_code == 400
    assert response.json() == {"Message": "Minimum Payment 10000 IDR"}


async def test_an_amount_of_exactly_10000_is_accepted(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(paymentAmount=10000))

    assert response.status_code == 200


async def test_a_merchant_order_id_longer_than_50_characters_is_rejected_with_400(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(merchantOrderId="X" * 51))

    assert response.status_code == 400
    assert response.json() == {"Message": "length of merchantOrderId can't > 50"}


async def test_a_merchant_order_id_of_exactly_50_characters_is_accepted(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(merchantOrderId="X" * 50))

    assert response.status_code == 200


@pytest.mark.parametrize("field", ["paymentMethod", "merchantOrderId"])
async def test_a_missing_mandatory_field_is_rejected_with_400(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, field: str
) -> None:
    body = inquiry_body()
    del body[field]

    response = await client.post(INQUIRY_PATH, json=body)

    assert response.status_code == 400
    assert response.json() == {"Message": f"{field} is mandatory"}


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "", "two words@example.com"])
async def test_an_invalid_email_is_rejected_with_400(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, email: str
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(email=email))

    assert response.status_code == 400
    assert response.json() == {"Message": "Invalid Email Address"}


async def test_an_unknown_merchant_code_is_rejected_with_404(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(merchantCode="DS99999"))

    assert response.status_code == 404
    assert response.json() == {"Message": "Merchant not found"}


@pytest.mark.parametrize("method", ["BC", "LQ", "DQ"])
async def test_a_payment_method_not_enabled_is_rejected_with_404(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, method: str
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(paymentMethod=method))

    assert response.status_code == 404
    assert response.json() == {"Message": "Payment channel not available"}


@pytest.mark.parametrize("method", ["SP", "NQ", "SQ"])
async def test_every_default_qris_channel_is_enabled(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, method: str
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(paymentMethod=method))

    assert response.status_code == 200


async def test_a_repeated_merchant_order_id_is_rejected_with_409(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    first = await client.post(INQUIRY_PATH, json=inquiry_body())
    again = await client.post(INQUIRY_PATH, json=inquiry_body(paymentAmount=50000))

    assert first.status_code == 200
    assert again.status_code == 409
    assert again.json() == {"Message": "Duplicate merchantOrderId"}


async def test_unknown_fields_in_the_request_are_ignored(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    body = inquiry_body()
    body["itemDetails"] = [{"name": "Nasi goreng", "price": 20000, "quantity": 2}]
    body["somethingNew"] = {"nested": True}

    response = await client.post(INQUIRY_PATH, json=body)

    assert response.status_code == 200


async def test_the_expiry_period_sets_when_the_transaction_expires(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    await client.post(INQUIRY_PATH, json=inquiry_body(merchantOrderId="E30", expiryPeriod=30))
    await client.post(INQUIRY_PATH, json=inquiry_body(merchantOrderId="E0", expiryPeriod=None))

    with_period = (await client.get("/control/transactions/E30")).json()
    without = (await client.get("/control/transactions/E0")).json()

    def minutes(view: dict[str, Any]) -> float:
        created = datetime.fromisoformat(view["created_at"])
        expires = datetime.fromisoformat(view["expires_at"])
        return (expires - created).total_seconds() / 60

    assert minutes(with_period) == 30
    assert minutes(without) == 10
