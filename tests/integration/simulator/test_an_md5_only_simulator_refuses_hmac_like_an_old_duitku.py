"""``request_signatures="md5"`` plays a Duitku that never moved to HMAC-SHA256.

Every official Duitku library still signs with MD5 (interop.md), so kasir must survive a
Duitku that answers an HMAC signature with 401 "Wrong signature".
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar

from entrypoints.duitku_simulator import SimulatorConfig, build_simulator

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
BodyFactory = Callable[..., dict[str, Any]]

ClientFactory = Callable[[Litestar], httpx.AsyncClient]


@pytest.fixture
async def md5_only(asgi_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    simulator = build_simulator(SimulatorConfig(request_signatures="md5"))
    async with asgi_client(simulator.asgi_app) as client:
        yield client
    await simulator.aclose()


async def test_an_hmac_inquiry_gets_wrong_signature_and_creates_nothing(
    md5_only: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    refused = await md5_only.post(INQUIRY_PATH, json=inquiry_body(scheme="hmac"))

    assert refused.status_code == 401
    assert refused.json() == {"Message": "Wrong signature"}
    assert (await md5_only.get("/control/transactions/ORDER-0001")).status_code == 404


async def test_the_same_inquiry_signed_with_md5_is_then_accepted(
    md5_only: httpx.AsyncClient, inquiry_body: BodyFactory
) -> None:
    await md5_only.post(INQUIRY_PATH, json=inquiry_body(scheme="hmac"))

    accepted = await md5_only.post(INQUIRY_PATH, json=inquiry_body(scheme="md5"))

    assert accepted.status_code == 200, accepted.text


async def test_status_requests_are_md5_only_too(
    md5_only: httpx.AsyncClient, inquiry_body: BodyFactory, status_body: BodyFactory
) -> None:
    await md5_only.post(INQUIRY_PATH, json=inquiry_body(scheme="md5"))

    hmac_status = await md5_only.post(STATUS_PATH, json=status_body(scheme="hmac"))
    md5_status = await md5_only.post(STATUS_PATH, json=status_body(scheme="md5"))

    assert hmac_status.status_code == 401
    assert md5_status.status_code == 200
