"""Fixtures for the Duitku simulator tests.

Signatures are computed here with hashlib/hmac straight from API.md §3, never with the
simulator's own helpers, so a wrong formula in the simulator cannot agree with itself.
"""

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import httpx
import pytest
from litestar import Litestar

from entrypoints.duitku_simulator import (
    DEV_API_KEY,
    DEV_MERCHANT_CODE,
    DuitkuSimulator,
    SimulatorConfig,
    build_simulator,
)

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"

FAST_CONFIG = SimulatorConfig(
    public_base_url="http://duitku.test",
    callback_retry_delay_s=0.01,
    callback_timeout_s=2.0,
    timeout_sleep_s=0.5,
)

BodyFactory = Callable[..., dict[str, Any]]


def hmac_signature(message: str, key: str = DEV_API_KEY) -> str:
    """HMAC-SHA256(key=apiKey, message) as lowercase hex (API.md §3.3)."""
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def md5_signature(message: str, key: str = DEV_API_KEY) -> str:
    """MD5(message + apiKey) as lowercase hex (API.md §3.2)."""
    return hashlib.md5((message + key).encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
async def simulator() -> AsyncIterator[DuitkuSimulator]:
    """A simulator with fast retries and a short injected-timeout sleep."""
    simulator = build_simulator(FAST_CONFIG)
    yield simulator
    await simulator.aclose()


def _client_for(app: Litestar) -> httpx.AsyncClient:
    # Not litestar.testing.AsyncTestClient: it runs the app in a portal thread and blocks
    # this event loop, so the app could not call back into a server running on it.
    # httpx types ASGI apps more narrowly than Litestar declares __call__; the cast
    # only bridges the annotations.
    transport = httpx.ASGITransport(app=cast(Any, app))
    return httpx.AsyncClient(transport=transport, base_url="http://duitku.test")


@pytest.fixture
def asgi_client() -> Callable[[Litestar], httpx.AsyncClient]:
    """Make an in-process HTTP client for any Litestar app (use it with ``async with``)."""
    return _client_for


@pytest.fixture
async def client(simulator: DuitkuSimulator) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the simulator in-process."""
    async with _client_for(simulator.asgi_app) as client:
        yield client


@pytest.fixture
def inquiry_body() -> BodyFactory:
    """Build a valid, HMAC-signed inquiry body; keyword arguments override fields.

    ``scheme="md5"`` signs with the legacy formula; ``signature=...`` overrides the result;
    a field set to None is removed from the body.
    """

    def build(*, scheme: str = "hmac", **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "merchantCode": DEV_MERCHANT_CODE,
            "paymentAmount": 40000,
            "paymentMethod": "SP",
            "merchantOrderId": "ORDER-0001",
            "productDetails": "Nasi goreng x2",
            "email": "customer@example.com",
            "customerVaName": "John Doe",
            "phoneNumber": "08123456789",
            "callbackUrl": "http://127.0.0.1:9/callback",
            "returnUrl": "http://127.0.0.1:9/return",
            "expiryPeriod": 10,
        }
        body.update({k: v for k, v in overrides.items() if k != "signature"})
        message = f"{body['merchantCode']}{body['merchantOrderId']}{body['paymentAmount']}"
        sign = md5_signature if scheme == "md5" else hmac_signature
        body["signature"] = overrides.get("signature", sign(message))
        return {k: v for k, v in body.items() if v is not None}

    return build


@pytest.fixture
def status_body() -> BodyFactory:
    """Build a valid, HMAC-signed transactionStatus body for ``merchant_order_id``."""

    def build(
        merchant_order_id: str = "ORDER-0001", *, scheme: str = "hmac", **overrides: Any
    ) -> dict[str, Any]:
        message = f"{DEV_MERCHANT_CODE}{merchant_order_id}"
        sign = md5_signature if scheme == "md5" else hmac_signature
        body = {
            "merchantCode": DEV_MERCHANT_CODE,
            "merchantOrderId": merchant_order_id,
            "signature": sign(message),
        }
        body.update(overrides)
        return body

    return build
