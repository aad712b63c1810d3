"""Fixtures for the Duitku adapter's unit tests: a config and gateways over MockTransport."""

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import pytest

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway, make_http_client

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]
)

BASE_URL = "https://duitku.test/webapi/api/merchant/"


@pytest.fixture
def duitku_config() -> DuitkuConfig:
    return DuitkuConfig(
        merchant_code="D0001",
        api_key="732B39FC61796845775D2C4FB05332AF",
        environment="sandbox",
        base_url=BASE_URL,
        callback_url="https://kasir.test/callbacks/duitku",
        return_url="https://kasir.test/orders/return",
    )


@pytest.fixture
def sleeps() -> list[float]:
    """Back-off delays the gateway asked for, recorded instead of slept."""
    return []


@pytest.fixture
async def make_gateway(
    duitku_config: DuitkuConfig, sleeps: list[float]
) -> AsyncIterator[Callable[..., DuitkuPaymentGateway]]:
    """Build gateways whose HTTP goes to `handler`; clients are closed after the test.

    Call as `make_gateway(handler, config=None)`.
    """
    clients: list[httpx.AsyncClient] = []

    async def no_sleep(delay: float) -> None:
        sleeps.append(delay)

    def build(handler: Handler, config: DuitkuConfig | None = None) -> DuitkuPaymentGateway:
        effective = config or duitku_config
        client = make_http_client(effective, transport=httpx.MockTransport(handler))
        clients.append(client)
        return DuitkuPaymentGateway(effective, client, sleep=no_sleep)

    yield build
    for client in clients:
        await client.aclose()
