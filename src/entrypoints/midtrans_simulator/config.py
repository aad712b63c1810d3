"""Configuration of the Midtrans simulator."""

from dataclasses import dataclass, field

from entrypoints.duitku_simulator.config import FaultSettings

DEV_SERVER_KEY = "SB-Mid-server-kasirDevSimulatorKey0123"
"""Server key the simulator accepts by default: shaped like a sandbox key, clearly fake."""

DEV_MERCHANT_ID = "G000000001"
DEFAULT_MOUNT_PATH = "/simulator/midtrans"
"""Where a host application mounts the simulator by convention."""


@dataclass(frozen=True, slots=True)
class MidtransSimulatorConfig:
    """Everything that can be tuned on a simulator instance; defaults describe development."""

    server_key: str = field(default=DEV_SERVER_KEY, repr=False)
    merchant_id: str = DEV_MERCHANT_ID
    public_base_url: str = f"http://127.0.0.1:8000{DEFAULT_MOUNT_PATH}"
    """Externally visible root; the `generate-qr-code` action URL is built from it."""
    default_notification_url: str = "http://127.0.0.1:8000/api/v1/webhooks/midtrans"
    """Where notifications go when a charge has no X-Override-Notification header (the
    dashboard's setting on a real account)."""
    acquirers: frozenset[str] = frozenset({"gopay", "airpay shopee"})
    minimum_amount: int = 1
    maximum_amount: int = 10_000_000  # a QRIS transaction's ceiling in Indonesia
    default_expiry_minutes: int = 15
    """Used when a charge has no custom_expiry (Midtrans documents no clear QRIS default)."""
    max_callback_attempts: int = 5
    callback_retry_delay_s: float = 0.2
    callback_timeout_s: float = 5.0
    timeout_sleep_s: float = 30.0
    merchant_name: str = "KASIR DEV RESTO"
    merchant_city: str = "JAKARTA"
    qris_merchant_id: str = "ID1025000000002"
    faults: FaultSettings = field(default_factory=FaultSettings)

    def __post_init__(self) -> None:
        if not self.server_key:
            raise ValueError("server_key must not be empty")
        if self.max_callback_attempts < 1:
            raise ValueError("max_callback_attempts must be at least 1")
        if self.default_expiry_minutes < 1:
            raise ValueError("default_expiry_minutes must be at least 1")
