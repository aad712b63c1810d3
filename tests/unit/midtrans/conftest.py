"""Fixtures for the Midtrans adapter's unit tests: a config and gateways over MockTransport."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from adapters.midtrans.config import MidtransConfig
from adapters.midtrans.gateway import MidtransPaymentGateway
from adapters.midtrans.transport import make_http_client

SERVER_KEY = "SB-Mid-server-UnitTestKey0123456789"
BASE_URL = "https://midtrans.test"
NOTIFY_URL = "https://kasir.test/api/v1/webhooks/midtrans"

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def midtrans_config() -> MidtransConfig:
    return MidtransConfig(
        server_key=SERVER_KEY,
        notification_url=NOTIFY_URL,
        environment="sandbox",
        base_url=BASE_URL,
        expiry_minutes=10,
        status_retries=2,
    )


@pytest.fixture
async def make_gateway(
    midtrans_config: MidtransConfig,
) -> AsyncIterator[Callable[[Handler], MidtransPaymentGateway]]:
    """A gateway whose every request is answered by `handler` (no network)."""
    clients: list[httpx.AsyncClient] = []

    async def no_sleep(_: float) -> None:
        return None

    def make(handler: Handler) -> MidtransPaymentGateway:
        client = make_http_client(midtrans_config, transport=httpx.MockTransport(handler))
        clients.append(client)
        return MidtransPaymentGateway(midtrans_config, client, sleep=no_sleep)

    yield make
    for client in clients:
        await client.aclose()


def answer(status: int = 200, /, **body: Any) -> httpx.Response:
    """Midtrans's JSON answer with this HTTP status."""
    return httpx.Response(status, json=body)
