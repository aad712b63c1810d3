"""Integer fields sent as numeric strings are accepted, as Duitku's own clients send them.

Duitku's WooCommerce plugin sends ``"expiryPeriod": "1440"`` from its settings, and Duitku's
ASP.NET backend binds numeric strings to integer fields; the simulator must not answer 400
where Duitku answers 200 (interop.md).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
BodyFactory = Callable[..., dict[str, Any]]


def minutes_valid(view: dict[str, Any]) -> float:
    created = datetime.fromisoformat(view["created_at"])
    expires = datetime.fromisoformat(view["expires_at"])
    return (expires - created).total_seconds() / 60


async def test_expiry_period_and_amount_as_numeric_strings_create_the_transaction(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    body = inquiry_body(merchantOrderId="WOO-1", paymentAmount="40000", expiryPeriod="1440")

    response = await client.post(INQUIRY_PATH, json=body)

    assert response.status_code == 200, response.text
    assert response.json()["amount"] == "40000"
    view = (await client.get("/control/transactions/WOO-1")).json()
    assert view["amount"] == 40000
    assert minutes_valid(view) == 1440


async def test_a_numeric_merchant_order_id_is_read_as_its_digits(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    # The SDK's examples send time() as merchantOrderId when its sanitizer is off.
    response = await client.post(INQUIRY_PATH, json=inquiry_body(merchantOrderId=1764500000))

    assert response.status_code == 200, response.text
    status = await client.post(STATUS_PATH, json=status_body("1764500000"))
    assert status.json()["statusCode"] == "01"


async def test_a_blank_expiry_period_takes_the_default(
    client: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    response = await client.post(
        INQUIRY_PATH, json=inquiry_body(merchantOrderId="WOO-2", expiryPeriod="")
    )

    assert response.status_code == 200, response.text
    assert minutes_valid((await client.get("/control/transactions/WOO-2")).json()) == 10


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("paymentAmount", "40000.00"),
        ("paymentAmount", "40.000"),
        ("paymentAmount", "4e4"),
        ("expiryPeriod", "ten"),
        ("expiryPeriod", 10.5),
    ],
)
async def test_a_string_that_is_not_an_integer_is_an_invalid_request(
    client: httpx.AsyncClient, inquiry_body: BodyFactory, field: str, value: object
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(**{field: value}))

    assert response.status_code == 400
    assert response.json() == {"Message": "The request is invalid."}
