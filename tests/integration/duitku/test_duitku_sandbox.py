"""Opt-in smoke test against the real Duitku sandbox (API.md §12).

Runs only with `DUITKU_ENV=sandbox`, `DUITKU_MERCHANT_CODE` and `DUITKU_API_KEY` set to a
sandbox project whose QRIS channel (`DUITKU_PAYMENT_METHOD`, default SP) is enabled:

    DUITKU_ENV=sandbox DUITKU_MERCHANT_CODE=DS... DUITKU_API_KEY=... \\
        .venv/bin/pytest -m sandbox tests/integration/duitku
"""

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adapters.duitku.config import DuitkuConfig, RequestSigning
from adapters.duitku.gateway import DuitkuPaymentGateway, make_http_client
from application.gateway import Customer, GatewayPaymentState, QrisChargeRequest

MERCHANT_CODE = os.environ.get("DUITKU_MERCHANT_CODE", "")
API_KEY = os.environ.get("DUITKU_API_KEY", "")
ENABLED = os.environ.get("DUITKU_ENV") == "sandbox" and bool(MERCHANT_CODE and API_KEY)
SIGNING: dict[str, RequestSigning] = {"auto": "auto", "hmac": "hmac", "md5": "md5"}

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        not ENABLED,
        reason="needs DUITKU_ENV=sandbox, DUITKU_MERCHANT_CODE and DUITKU_API_KEY",
    ),
]


@pytest_asyncio.fixture
async def sandbox_gateway() -> AsyncIterator[DuitkuPaymentGateway]:
    config = DuitkuConfig(
        merchant_code=MERCHANT_CODE,
        api_key=API_KEY,
        environment="sandbox",
        payment_method=os.environ.get("DUITKU_PAYMENT_METHOD", "SP"),
        signature_scheme=SIGNING.get(os.environ.get("DUITKU_SIGNATURE", "auto"), "auto"),
        # Nothing listens here: the smoke test reads the status instead of a callback.
        callback_url="https://example.com/kasir/duitku-callback",
        return_url="https://example.com/kasir/return",
        status_retries=2,
    )
    async with make_http_client(config) as client:
        yield DuitkuPaymentGateway(config, client)


async def test_the_sandbox_creates_a_qris_that_then_reports_pending(
    sandbox_gateway: DuitkuPaymentGateway,
) -> None:
    attempt_id = f"kasir-smoke-{uuid.uuid4().hex[:16]}"

    created = await sandbox_gateway.create_qris(
        QrisChargeRequest(
            attempt_id=attempt_id,
            amount=10000,
            description="kasir sandbox smoke test",
            customer=Customer(name="Kasir Smoke", email="smoke@example.com"),
        )
    )
    status = await sandbox_gateway.check_status(attempt_id)

    assert created.qr_string.startswith("000201")
    assert created.gateway_reference.startswith(MERCHANT_CODE)
    assert status.state is GatewayPaymentState.PENDING
    assert status.amount == 10000


async def test_the_sandbox_reports_an_unknown_order_as_not_found(
    sandbox_gateway: DuitkuPaymentGateway,
) -> None:
    status = await sandbox_gateway.check_status(f"kasir-never-{uuid.uuid4().hex[:16]}")

    assert status.state is GatewayPaymentState.NOT_FOUND
