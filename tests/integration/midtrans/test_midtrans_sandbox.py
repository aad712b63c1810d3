"""Opt-in smoke test against the real Midtrans sandbox (Core API, QRIS).

Runs only with `MIDTRANS_ENV=sandbox` and `MIDTRANS_SERVER_KEY` set to a sandbox key
(`SB-Mid-server-...`) of an account whose QRIS channel is active (the sandbox answers 503
until it is):

    MIDTRANS_ENV=sandbox MIDTRANS_SERVER_KEY=SB-Mid-server-... \\
        .venv/bin/pytest -m sandbox tests/integration/midtrans
"""

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adapters.midtrans.config import MidtransConfig
from adapters.midtrans.gateway import MidtransPaymentGateway
from adapters.midtrans.transport import make_http_client
from application.gateway import Customer, GatewayPaymentState, QrisChargeRequest
from entrypoints.duitku_simulator.qris_payload import crc_is_valid

SERVER_KEY = os.environ.get("MIDTRANS_SERVER_KEY", "")
ENABLED = os.environ.get("MIDTRANS_ENV") == "sandbox" and SERVER_KEY.startswith("SB-")

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        not ENABLED, reason="needs MIDTRANS_ENV=sandbox and a sandbox MIDTRANS_SERVER_KEY"
    ),
]


@pytest_asyncio.fixture
async def sandbox_gateway() -> AsyncIterator[MidtransPaymentGateway]:
    config = MidtransConfig(
        server_key=SERVER_KEY,
        # Nothing listens here: the smoke test reads the status instead of a notification.
        notification_url="https://example.com/kasir/midtrans-notification",
        environment="sandbox",
        acquirer="gopay",
        expiry_minutes=5,
        status_retries=2,
    )
    async with make_http_client(config) as client:
        yield MidtransPaymentGateway(config, client)


async def test_the_sandbox_charges_a_qris_that_reports_pending_and_can_be_cancelled(
    sandbox_gateway: MidtransPaymentGateway,
) -> None:
    attempt_id = f"kasir-smoke-{uuid.uuid4().hex[:16]}"

    charge = await sandbox_gateway.create_qris(
        QrisChargeRequest(
            attempt_id=attempt_id,
            amount=10_000,
            description="kasir sandbox smoke test",
            customer=Customer(name="Kasir Smoke", email="smoke@example.com"),
        )
    )

    assert crc_is_valid(charge.qr_string)
    status = await sandbox_gateway.check_status(attempt_id)
    assert (status.state, status.amount) == (GatewayPaymentState.PENDING, 10_000)
    await sandbox_gateway.cancel_qris(attempt_id)
    assert (await sandbox_gateway.check_status(attempt_id)).state is GatewayPaymentState.FAILED


async def test_the_sandbox_has_no_transaction_for_an_unknown_order(
    sandbox_gateway: MidtransPaymentGateway,
) -> None:
    status = await sandbox_gateway.check_status(f"kasir-unknown-{uuid.uuid4().hex[:16]}")

    assert status.state is GatewayPaymentState.NOT_FOUND
