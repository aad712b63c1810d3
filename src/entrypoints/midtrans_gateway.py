"""Building the Midtrans gateway the settings ask for: real Midtrans, its simulator, or the
in-memory fake with Midtrans's verifier. Absent (None) when MIDTRANS_ENV is unset."""

import secrets
from datetime import timedelta

import httpx

from adapters.in_memory.gateway import FakePaymentGateway
from adapters.midtrans.config import Environment, MidtransConfig
from adapters.midtrans.gateway import MidtransPaymentGateway
from adapters.midtrans.notifications import MidtransNotificationVerifier
from adapters.midtrans.transport import make_http_client
from application.gateway import PaymentGateway
from application.ports import Clock
from entrypoints.midtrans_simulator import (
    DEFAULT_MOUNT_PATH,
    DEV_SERVER_KEY,
    MidtransSimulator,
    MidtransSimulatorConfig,
    build_midtrans_simulator,
)
from entrypoints.settings import Settings

MIDTRANS = "midtrans"  # the name Midtrans's attempts record
WEBHOOK_PATH = "/api/v1/webhooks/midtrans"
# Requests to the mounted simulator go through this in-process host; never the network.
_IN_PROCESS_SIMULATOR = "http://midtrans-simulator.internal"


_ENVIRONMENTS: dict[str, Environment] = {
    "simulator": "simulator",
    "fake": "simulator",
    "sandbox": "sandbox",
    "production": "production",
}


def midtrans_config(settings: Settings) -> MidtransConfig | None:
    """The adapter's settings; the simulator and the fake use a fixed development key."""
    env = settings.midtrans_environment
    if env is None:
        return None
    key = settings.midtrans_server_key.get_secret_value() if settings.midtrans_server_key else ""
    base_url = settings.midtrans_base_url
    if env == "simulator" and not base_url:
        base_url = _IN_PROCESS_SIMULATOR
    return MidtransConfig(
        server_key=key or DEV_SERVER_KEY,
        client_key=settings.midtrans_client_key,
        notification_url=f"{settings.base_url}{WEBHOOK_PATH}",
        environment=_ENVIRONMENTS[env],
        base_url=base_url,
        acquirer=settings.midtrans_acquirer,
        # One QRIS validity setting for every gateway.
        expiry_minutes=settings.duitku_expiry_minutes,
    )


def uses_mounted_midtrans_simulator(settings: Settings) -> bool:
    return settings.midtrans_environment == "simulator" and not settings.midtrans_base_url


def mounted_midtrans_simulator(settings: Settings, clock: Clock) -> MidtransSimulator | None:
    """The simulator mounted in the service (simulator mode without MIDTRANS_BASE_URL),
    on the service's clock."""
    config = midtrans_config(settings)
    if config is None or not uses_mounted_midtrans_simulator(settings):
        return None
    return build_midtrans_simulator(
        MidtransSimulatorConfig(
            server_key=config.server_key,
            public_base_url=f"{settings.base_url}{DEFAULT_MOUNT_PATH}",
            default_notification_url=config.notification_url,
        ),
        clock=clock.now,
    )


def midtrans_http_client(
    config: MidtransConfig | None, simulator: MidtransSimulator | None
) -> httpx.AsyncClient | None:
    """The one shared client to Midtrans; to the mounted simulator it goes in-process."""
    if config is None:
        return None
    transport = None
    if simulator is not None:
        transport = httpx.ASGITransport(app=simulator.asgi_app)  # type: ignore[arg-type]
    return make_http_client(config, transport=transport)


def midtrans_gateway(
    settings: Settings, config: MidtransConfig | None, client: httpx.AsyncClient | None
) -> PaymentGateway | None:
    if config is None or client is None:
        return None
    if settings.midtrans_environment == "fake":
        return midtrans_fake(server_key=config.server_key, valid_for=config.expiry_minutes)
    return MidtransPaymentGateway(config, client)


def midtrans_fake(*, server_key: str = DEV_SERVER_KEY, valid_for: int = 10) -> FakePaymentGateway:
    """The in-memory fake with Midtrans's capabilities (it cancels) whose notifications are
    verified by the production Midtrans verifier (MIDTRANS_ENV=fake)."""
    return FakePaymentGateway(
        merchant_code="MIDTRANSFAKE",
        notifications=MidtransNotificationVerifier(server_key=server_key),
        valid_for=timedelta(minutes=valid_for),
        # Unique per process: workers and restarts share the database's unique references.
        reference_prefix=f"{secrets.token_hex(4).upper()}-",
        keep_history=False,
        cancels=True,
    )
