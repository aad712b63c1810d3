"""Configuration of the Duitku simulator.

Every behaviour that API.md marks as unknown ([U]) is a field here, so a test can pin the
simulator to whichever answer it wants to be robust against.
"""

from dataclasses import dataclass, field
from typing import Literal, TypedDict

DEV_MERCHANT_CODE = "DS00001"
"""Merchant code the simulator accepts by default; shaped like a Duitku sandbox code."""

DEV_API_KEY = "0123456789abcdef0123456789ABCDEF"
"""API key the simulator accepts by default: 32 hex characters like Duitku's, clearly fake."""

DEFAULT_MOUNT_PATH = "/simulator/duitku"
"""Where a host application mounts the simulator by convention."""

CallbackSignatureScheme = Literal["hmac", "md5"]
"""Scheme used to sign outgoing callbacks (API.md §3: which one Duitku uses is unknown)."""

RequestSignatures = Literal["both", "hmac", "md5"]
"""Request signatures accepted: both (Duitku's sandbox in 2026), HMAC only, or MD5 only."""


class SimulatorSignatures(TypedDict):
    """The signature fields of a SimulatorConfig, as a host application chooses them."""

    request_signatures: RequestSignatures
    callback_signature: CallbackSignatureScheme


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """Faults the simulator injects into Duitku API calls (not into control endpoints).

    ``fail_next`` and ``timeout_next`` count down by one per API call; ``latency_ms`` and
    ``wrong_callback_signature`` stay in force until the faults are reset.
    """

    latency_ms: int = 0
    fail_next: int = 0
    timeout_next: int = 0
    wrong_callback_signature: bool = False

    def __post_init__(self) -> None:
        for name in ("latency_ms", "fail_next", "timeout_next"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """Everything that can be tuned on a simulator instance.

    The defaults describe a development setup: one sandbox-like merchant, the three QRIS
    channels, Duitku's documented limits, and short callback back-off so tests stay fast.
    """

    merchant_code: str = DEV_MERCHANT_CODE
    api_key: str = DEV_API_KEY
    public_base_url: str = f"http://127.0.0.1:8000{DEFAULT_MOUNT_PATH}"
    """Externally visible root of the simulator; ``paymentUrl`` is built from it."""
    callback_signature: CallbackSignatureScheme = "hmac"
    request_signatures: RequestSignatures = "both"
    """Request signatures accepted: ``both`` (Duitku's sandbox still took MD5 next to HMAC in
    2026), ``hmac`` only, or ``md5`` only, as a Duitku that never moved to HMAC would; a
    refused signature gets 401 ``Wrong signature``."""
    enabled_methods: frozenset[str] = frozenset({"SP", "NQ", "SQ"})
    minimum_amount: int = 10_000
    maximum_amount: int | None = None
    """Per-channel QRIS maximum is unpublished (API.md §6.3), so there is none by default."""
    default_expiry_minutes: int = 10
    """Used when the inquiry has no (or a non-positive) ``expiryPeriod``; QRIS default is 10."""
    max_callback_attempts: int = 5
    callback_retry_delay_s: float = 0.2
    callback_timeout_s: float = 5.0
    failed_result_code: Literal["01", "02"] = "01"
    """``resultCode`` of a failure callback: API docs say 01, POP docs say 02."""
    not_found_status: int = 400
    """HTTP status of ``Transaction not found`` on transactionStatus: 400, as Duitku's answer is
    known from interop.md; another value plays a gateway kasir must not take for Duitku."""
    duplicate_order_status: int = 409
    """HTTP status of a repeated ``merchantOrderId`` on inquiry (API.md §13.4: unknown)."""
    merchant_name: str = "KASIR DEV RESTO"
    merchant_city: str = "JAKARTA"
    qris_merchant_id: str = "ID1025000000001"
    """National merchant id (NMID) placed in QRIS tag 51, sub-tag 02."""
    merchant_category_code: str = "5812"
    """ISO 18245 MCC placed in QRIS tag 52; 5812 is eating places and restaurants."""
    payer_issuer_code: str = "93600914"
    """QRIS issuer reported in paid callbacks; 93600914 is GoPay."""
    payer_name: str = "John Doe"
    """Payer name reported, masked, in paid callbacks."""
    timeout_sleep_s: float = 30.0
    """How long a ``timeout_next`` fault holds the response; far beyond any client timeout."""
    faults: FaultSettings = field(default_factory=FaultSettings)
    """Faults active from the start; runtime changes go through ``/control/faults``."""

    def __post_init__(self) -> None:
        if self.request_signatures not in ("both", "hmac", "md5"):
            raise ValueError("request_signatures must be both, hmac or md5")
        if self.max_callback_attempts < 1:
            raise ValueError("max_callback_attempts must be at least 1")
        if self.default_expiry_minutes < 1:
            raise ValueError("default_expiry_minutes must be at least 1")
        if len(self.merchant_name) > 25 or len(self.merchant_city) > 15:
            raise ValueError("QRIS allows at most 25 characters of name and 15 of city")
