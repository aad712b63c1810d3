"""Settings of the Midtrans adapter: server key, environment, acquirer, expiry and timeouts."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

Environment = Literal["sandbox", "production", "simulator"]
Acquirer = Literal["gopay", "airpay shopee"]

SANDBOX_BASE_URL = "https://api.sandbox.midtrans.com"
PRODUCTION_BASE_URL = "https://api.midtrans.com"
# The simulator as `make run` mounts it (service on 127.0.0.1:8000, mount /simulator/midtrans).
SIMULATOR_BASE_URL = "http://127.0.0.1:8000/simulator/midtrans"

_BUILT_IN_BASE_URLS: dict[str, str] = {
    "sandbox": SANDBOX_BASE_URL,
    "production": PRODUCTION_BASE_URL,
    "simulator": SIMULATOR_BASE_URL,
}
ACQUIRERS: tuple[Acquirer, ...] = ("gopay", "airpay shopee")


@dataclass(frozen=True, slots=True, kw_only=True)
class MidtransConfig:
    """Everything the Midtrans adapter needs, read once at start-up by the composition root.

    `server_key` authenticates every request (HTTP Basic) and verifies notifications, so it
    is kept out of `repr()` and out of every error message raised here. `notification_url`
    is sent with each charge (X-Override-Notification) so Midtrans notifies kasir's own
    Midtrans endpoint whatever the dashboard says.
    """

    server_key: str = field(repr=False)
    notification_url: str
    client_key: str | None = None  # for browser-side Snap/JS only: kasir's server never sends it
    environment: Environment = "sandbox"
    base_url: str | None = None
    acquirer: Acquirer = "gopay"
    expiry_minutes: int = 10
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    write_timeout: float = 10.0
    pool_timeout: float = 5.0
    total_timeout: float = 30.0
    max_connections: int = 20
    status_retries: int = 3
    status_retry_initial_wait: float = 0.5
    status_retry_max_wait: float = 5.0

    def __post_init__(self) -> None:
        # Messages name the setting only: a value could be the key pasted in the wrong place.
        if not self.server_key:
            raise ValueError("Midtrans server_key must not be empty")
        if self.environment not in _BUILT_IN_BASE_URLS:
            raise ValueError("Midtrans environment must be sandbox, production or simulator")
        if self.acquirer not in ACQUIRERS:
            raise ValueError("Midtrans acquirer must be gopay or 'airpay shopee'")
        if not 1 <= self.expiry_minutes <= 1440:
            raise ValueError("Midtrans expiry_minutes must be between 1 and 1440")
        if self.status_retries < 1:
            raise ValueError("Midtrans status_retries must be at least 1 (the first attempt)")
        timeouts = (
            self.connect_timeout,
            self.read_timeout,
            self.write_timeout,
            self.pool_timeout,
            self.total_timeout,
        )
        if any(value <= 0 for value in timeouts):
            raise ValueError("Midtrans timeouts must be positive")
        if self.max_connections < 1:
            raise ValueError("Midtrans max_connections must be at least 1")

    def __repr__(self) -> str:
        # Spelled out so that a future field can never leak by default.
        return (
            f"MidtransConfig(server_key='***', environment={self.environment!r}, "
            f"base_url={self.effective_base_url()!r}, acquirer={self.acquirer!r}, "
            f"expiry_minutes={self.expiry_minutes})"
        )

    def create_call_timeout(self) -> timedelta:
        """The longest one charge call can take: one send, bounded by `total_timeout`."""
        return timedelta(seconds=self.total_timeout)

    def effective_base_url(self) -> str:
        """The API root requests go to, without a trailing '/'."""
        return (self.base_url or _BUILT_IN_BASE_URLS[self.environment]).rstrip("/")

    def endpoint(self, path: str) -> str:
        """Absolute URL of an endpoint below the API root (e.g. 'v2/charge')."""
        return f"{self.effective_base_url()}/{path.lstrip('/')}"
