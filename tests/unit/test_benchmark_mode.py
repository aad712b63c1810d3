"""The benchmark-only knobs (`make bench`): refused outside fake mode, and what they do."""

import asyncio

import pytest

from adapters.in_memory.auto_paying_gateway import AutoPayingFakeGateway
from adapters.in_memory.gateway import FakePaymentGateway
from application.gateway import Customer, GatewayPaymentState, QrisChargeRequest
from entrypoints.gateways import duitku_config, payment_gateway
from entrypoints.settings import SettingsError, load_settings

KNOBS = (
    {"kasir_benchmark_routes": True},
    {"fake_gateway_auto_pay": True},
    {"fake_gateway_auto_pay": True, "fake_gateway_auto_pay_amount": 35_000},
)


@pytest.mark.parametrize("env", ["simulator", "sandbox", "production"])
@pytest.mark.parametrize("knobs", KNOBS)
def test_benchmark_knobs_are_refused_unless_the_gateway_is_the_fake(
    env: str, knobs: dict[str, object]
) -> None:
    real = {
        "duitku_merchant_code": "DS12345",
        "duitku_api_key": "k" * 32,
        "kasir_staff_tokens": "alice:alice-token-0123456789",
        "kasir_secret_key": "s" * 32,
        "public_base_url": "https://kasir.example",
    }
    with pytest.raises(SettingsError, match="only work with DUITKU_ENV=fake"):
        load_settings(duitku_env=env, **(real if env != "simulator" else {}), **knobs)


def test_the_auto_pay_amount_needs_auto_pay() -> None:
    with pytest.raises(SettingsError, match="needs FAKE_GATEWAY_AUTO_PAY=true"):
        load_settings(duitku_env="fake", fake_gateway_auto_pay_amount=35_000)


def test_the_knobs_are_off_by_default_and_allowed_in_fake_mode() -> None:
    assert not load_settings().kasir_benchmark_routes
    settings = load_settings(duitku_env="fake", **KNOBS[2], kasir_benchmark_routes=True)
    assert settings.fake_gateway_auto_pay_amount == 35_000


def _charge(attempt_id: str, amount: int = 35_000) -> QrisChargeRequest:
    return QrisChargeRequest(
        attempt_id=attempt_id,
        amount=amount,
        description="Pesanan",
        customer=Customer("Budi", "budi@example.test"),
    )


def test_an_auto_paying_fake_reports_what_it_created_as_paid() -> None:
    fake = AutoPayingFakeGateway()
    asyncio.run(fake.create_qris(_charge("KSR-1", 35_000)))

    status = asyncio.run(fake.check_status("KSR-1"))

    assert (status.state, status.amount) == (GatewayPaymentState.PAID, 35_000)
    assert asyncio.run(fake.check_status("KSR-unknown")).state is GatewayPaymentState.NOT_FOUND


def test_with_an_amount_it_also_reports_another_workers_transactions_as_paid() -> None:
    fake = AutoPayingFakeGateway(auto_pay_amount=35_000)

    status = asyncio.run(fake.check_status("KSR-made-by-another-process"))

    assert (status.state, status.amount) == (GatewayPaymentState.PAID, 35_000)


def test_the_plain_fake_keeps_reporting_pending() -> None:
    fake = FakePaymentGateway()
    asyncio.run(fake.create_qris(_charge("KSR-1")))

    assert asyncio.run(fake.check_status("KSR-1")).state is GatewayPaymentState.PENDING
    assert asyncio.run(fake.check_status("KSR-2")).state is GatewayPaymentState.NOT_FOUND


def test_the_service_fake_uses_unique_references_and_keeps_no_request_history() -> None:
    settings = load_settings(
        duitku_env="fake", fake_gateway_auto_pay=True, fake_gateway_auto_pay_amount=35_000
    )
    config = duitku_config(settings)
    first, second = (payment_gateway(settings, config, None) for _ in range(2))  # type: ignore[arg-type]
    assert isinstance(first, AutoPayingFakeGateway)
    assert isinstance(second, AutoPayingFakeGateway)

    a = asyncio.run(first.create_qris(_charge("KSR-a")))
    b = asyncio.run(second.create_qris(_charge("KSR-b")))

    assert a.gateway_reference != b.gateway_reference  # two worker processes, one database
    assert first.create_requests == []
    assert first.auto_pay_amount == 35_000


def test_without_auto_pay_the_service_fake_is_the_plain_fake() -> None:
    settings = load_settings(duitku_env="fake")

    fake = payment_gateway(settings, duitku_config(settings), None)  # type: ignore[arg-type]

    assert type(fake) is FakePaymentGateway
