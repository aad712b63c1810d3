"""Building the payment gateway the settings ask for: real Duitku, the simulator, or the fake."""

import secrets
from datetime import timedelta
from typing import Any, TypeVar

import httpx

from adapters.duitku.config import CallbackSignatures, DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway, make_http_client
from adapters.duitku.notifications import DuitkuNotificationVerifier
from adapters.in_memory.auto_paying_gateway import AutoPayingFakeGateway
from adapters.in_memory.gateway import FAKE_MERCHANT_CODE, FAKE_SIGNING_KEY, FakePaymentGateway
from application.gateway import PaymentGateway
from application.ports import Clock
from entrypoints.duitku_simulator import (
    DEFAULT_MOUNT_PATH,
    DEV_API_KEY,
    DEV_MERCHANT_CODE,
    DuitkuSimulator,
    SimulatorConfig,
    SimulatorSignatures,
    build_simulator,
)
from entrypoints.settings import Settings

Fake = TypeVar("Fake", bound=FakePaymentGateway)

WEBHOOK_PATH = "/api/v1/webhooks/duitku"
RETURN_PATH = "/payment-finished"
# Requests to the mounted simulator go through this in-process host; it never hits the network.
_IN_PROCESS_SIMULATOR = "http://duitku-simulator.internal"


def duitku_config(settings: Settings) -> DuitkuConfig:
    """The Duitku adapter's settings; the simulator uses fixed development credentials."""
    api_key = settings.duitku_api_key.get_secret_value() if settings.duitku_api_key else None
    simulated = settings.duitku_env in ("simulator", "fake")
    base_url = settings.duitku_base_url
    if settings.duitku_env == "simulator" and not base_url:
        base_url = f"{_IN_PROCESS_SIMULATOR}/webapi/api/merchant/"
    return DuitkuConfig(
        merchant_code=settings.duitku_merchant_code or DEV_MERCHANT_CODE,
        api_key=api_key or (DEV_API_KEY if simulated else ""),
        callback_url=f"{settings.base_url}{WEBHOOK_PATH}",
        return_url=f"{settings.base_url}{RETURN_PATH}",
        environment="simulator" if simulated else settings.duitku_env,  # type: ignore[arg-type]
        base_url=base_url,
        payment_method=settings.duitku_payment_method,
        expiry_minutes=settings.duitku_expiry_minutes,
        signature_scheme=settings.duitku_signature,
        callback_signatures=settings.duitku_callback_signatures,
    )


def mounted_simulator(settings: Settings, clock: Clock) -> DuitkuSimulator:
    """The simulator mounted inside the service (simulator mode without DUITKU_BASE_URL),
    telling time by the service's `clock`, so a test that sets one clock moves both."""
    config = duitku_config(settings)
    return build_simulator(
        SimulatorConfig(
            merchant_code=config.merchant_code,
            api_key=config.api_key,
            public_base_url=f"{settings.base_url}{DEFAULT_MOUNT_PATH}",
            **simulator_signatures(settings),
        ),
        clock=clock.now,
    )


def simulator_signatures(settings: Settings) -> SimulatorSignatures:
    """The signatures the simulator speaks, from DUITKU_SIMULATOR_SIGNATURES.

    Never from kasir's own DUITKU_SIGNATURE: how kasir signs requests says nothing about how
    Duitku signs callbacks. An MD5-only simulator refuses HMAC requests and signs callbacks
    with MD5; otherwise callbacks are HMAC-signed.
    """
    accepted = settings.duitku_simulator_signatures
    return {
        "request_signatures": accepted,
        "callback_signature": "md5" if accepted == "md5" else "hmac",
    }


def uses_mounted_simulator(settings: Settings) -> bool:
    return settings.duitku_env == "simulator" and not settings.duitku_base_url


def duitku_http_client(
    settings: Settings, config: DuitkuConfig, simulator: DuitkuSimulator | None
) -> httpx.AsyncClient:
    """The one shared client to Duitku; to the mounted simulator it goes in-process."""
    transport = None
    if simulator is not None:
        transport = httpx.ASGITransport(app=simulator.asgi_app)  # type: ignore[arg-type]
    return make_http_client(config, transport=transport)


def payment_gateway(
    settings: Settings, config: DuitkuConfig, client: httpx.AsyncClient
) -> PaymentGateway:
    if settings.duitku_env == "fake":
        return service_fake(settings, config)
    return DuitkuPaymentGateway(config, client)


def service_fake(settings: Settings, config: DuitkuConfig) -> FakePaymentGateway:
    """The fake inside a running server (DUITKU_ENV=fake); with FAKE_GATEWAY_AUTO_PAY, the
    benchmark's auto-paying one (`make bench`)."""
    options: dict[str, Any] = {
        "merchant_code": config.merchant_code,
        "signing_key": config.api_key,
        "callback_signatures": config.callback_signatures,
        # Unique per process: workers and restarts share the database's unique references.
        "reference_prefix": f"{secrets.token_hex(4).upper()}-",
        "valid_for": timedelta(minutes=config.expiry_minutes),
        "keep_history": False,
    }
    if settings.fake_gateway_auto_pay:
        amount = settings.fake_gateway_auto_pay_amount
        return verified_fake(AutoPayingFakeGateway, auto_pay_amount=amount, **options)
    return verified_fake(FakePaymentGateway, **options)


def fake_gateway(
    *,
    merchant_code: str = FAKE_MERCHANT_CODE,
    signing_key: str = FAKE_SIGNING_KEY,
    callback_signatures: CallbackSignatures = "both",
    **options: Any,
) -> FakePaymentGateway:
    """The in-memory fake for creates and status checks, whose notifications are verified by
    the production Duitku verifier (the fake signs them the Duitku way with `signing_key`);
    `options` go to FakePaymentGateway."""
    return verified_fake(
        FakePaymentGateway,
        merchant_code=merchant_code,
        signing_key=signing_key,
        callback_signatures=callback_signatures,
        **options,
    )


def verified_fake(
    gateway_class: type[Fake],
    *,
    merchant_code: str = FAKE_MERCHANT_CODE,
    signing_key: str = FAKE_SIGNING_KEY,
    callback_signatures: CallbackSignatures = "both",
    **options: Any,
) -> Fake:
    """`fake_gateway` for a subclass of the fake (tests script their own behaviours)."""
    return gateway_class(
        merchant_code=merchant_code,
        signing_key=signing_key,
        notifications=duitku_notifications(merchant_code, signing_key, callback_signatures),
        **options,
    )


def duitku_notifications(
    merchant_code: str, api_key: str, accepted: CallbackSignatures = "both"
) -> DuitkuNotificationVerifier:
    """The production verifier of Duitku callbacks for this merchant and key."""
    return DuitkuNotificationVerifier(
        merchant_code=merchant_code, api_key=api_key, accepted=accepted
    )
