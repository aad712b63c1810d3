"""Settings of the Duitku adapter: credentials, environment, channel, expiry and timeouts."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

Environment = Literal["sandbox", "production", "simulator"]
SignatureScheme = Literal["hmac", "md5"]
RequestSigning = Literal["auto", "hmac", "md5"]
"""How requests are signed: `auto` signs with HMAC and falls back to MD5 once (see gateway)."""
CallbackSignatures = Literal["both", "hmac", "md5"]
"""Which callback signatures verify: `both` tries HMAC first, then MD5."""

SANDBOX_BASE_URL = "https://sandbox.duitku.com/webapi/api/merchant/"
PRODUCTION_BASE_URL = "https://passport.duitku.com/webapi/api/merchant/"
# The simulator as `make run` mounts it (service on 127.0.0.1:8000, mount /simulator/duitku).
SIMULATOR_BASE_URL = "http://127.0.0.1:8000/simulator/duitku/webapi/api/merchant/"

_BUILT_IN_BASE_URLS: dict[str, str] = {
    "sandbox": SANDBOX_BASE_URL,
    "production": PRODUCTION_BASE_URL,
    "simulator": SIMULATOR_BASE_URL,
}
_ENVIRONMENTS = ("sandbox", "production", "simulator")
_REQUEST_SIGNING = ("auto", "hmac", "md5")
_CALLBACK_SIGNATURES = ("both", "hmac", "md5")
# How many times one create call may send its inquiry: once, and once more with MD5 after
# Duitku's "Wrong signature" when DUITKU_SIGNATURE=auto (the gateway's `_signed_post`).
MAX_INQUIRY_SENDS = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class DuitkuConfig:
    """Everything the Duitku adapter needs, read once at start-up by the composition root.

    `api_key` signs every request and verifies callbacks, so it is kept out of `repr()` and
    out of every error message raised here. Sandbox and production are separate Duitku
    projects with their own merchant code and key; `base_url` overrides the built-in host
    (a simulator elsewhere, tests).
    """

    merchant_code: str
    api_key: str = field(repr=False)
    callback_url: str
    return_url: str
    environment: Environment = "sandbox"
    base_url: str | None = None
    payment_method: str = "SP"
    expiry_minutes: int = 10
    signature_scheme: RequestSigning = "auto"
    callback_signatures: CallbackSignatures = "both"
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
        # Messages name the offending setting only: a value could be the key pasted in the
        # wrong variable.
        if not self.merchant_code:
            raise ValueError("Duitku merchant_code must not be empty")
        if not self.api_key:
            raise ValueError("Duitku api_key must not be empty")
        if self.environment not in _ENVIRONMENTS:
            raise ValueError("Duitku environment must be sandbox, production or simulator")
        if self.signature_scheme not in _REQUEST_SIGNING:
            raise ValueError("Duitku signature_scheme must be auto, hmac or md5")
        if self.callback_signatures not in _CALLBACK_SIGNATURES:
            raise ValueError("Duitku callback_signatures must be both, hmac or md5")
        if not 1 <= self.expiry_minutes <= 1440:
            raise ValueError("Duitku expiry_minutes must be between 1 and 1440")
        if self.status_retries < 1:
            raise ValueError("Duitku status_retries must be at least 1 (the first attempt)")
        timeouts = (
            self.connect_timeout,
            self.read_timeout,
            self.write_timeout,
            self.pool_timeout,
            self.total_timeout,
        )
        if any(value <= 0 for value in timeouts):
            raise ValueError("Duitku timeouts must be positive")
        if self.max_connections < 1:
            raise ValueError("Duitku max_connections must be at least 1")

    def __repr__(self) -> str:
        # Spelled out rather than generated so that a future field can never leak by default.
        return (
            f"DuitkuConfig(merchant_code={self.merchant_code!r}, api_key='***', "
            f"environment={self.environment!r}, base_url={self.effective_base_url()!r}, "
            f"payment_method={self.payment_method!r}, expiry_minutes={self.expiry_minutes}, "
            f"signature_scheme={self.signature_scheme!r}, "
            f"callback_signatures={self.callback_signatures!r})"
        )

    def create_call_timeout(self) -> timedelta:
        """The longest one create call (v2 inquiry) can take: each send is bounded as a whole
        by `total_timeout` (connect, write, read and a slow trickle included), and a call sends
        at most MAX_INQUIRY_SENDS times. The grace before a `creating` attempt is settled by a
        status check is derived from it (application.reconciliation_schedule.creating_grace)."""
        return timedelta(seconds=self.total_timeout * MAX_INQUIRY_SENDS)

    def effective_base_url(self) -> str:
        """The v2 webapi base URL requests go to, always ending with '/'."""
        url = self.base_url or _BUILT_IN_BASE_URLS[self.environment]
        return url if url.endswith("/") else url + "/"

    def endpoint(self, path: str) -> str:
        """Absolute URL of an endpoint below the base URL (e.g. 'v2/inquiry')."""
        return self.effective_base_url() + path.lstrip("/")
