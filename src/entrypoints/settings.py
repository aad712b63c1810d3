"""Settings read once at start-up from the environment and an optional `.env` file.

Every setting is documented in `.env.example`. Bad combinations stop start-up with one clear
message that names the settings involved and never their secret values.
"""

import re
import secrets
import unicodedata
import zoneinfo
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from application.destinations import parse_networks
from application.outbox import ALL_EVENT_TYPES
from application.receipts import Restaurant
from domain.staff import Role
from entrypoints.http.client_address import DUITKU_CALLBACK_ADDRESSES, networks

DuitkuEnv = Literal["simulator", "sandbox", "production", "fake"]
MidtransEnv = Literal["simulator", "sandbox", "production", "fake"]
QrisGateway = Literal["duitku", "midtrans"]
_REAL_ENVS = ("sandbox", "production")
# Midtrans's sandbox keys carry this prefix; production keys do not.
_MIDTRANS_SANDBOX_KEY_PREFIX = "SB-"

# Duitku's production merchant codes look like `D` + 4 digits, sandbox ones like `DS` + 5
# (API.md §2: an observation, not a documented rule), so this only catches the obvious case.
_PRODUCTION_MERCHANT_CODE = re.compile(r"^D\d{4}$")
_STAFF_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_STAFF_TOKEN_LENGTH = 16
MIN_SECRET_KEY_LENGTH = 32
DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./kasir.db"
_WHSEC = re.compile(r"^whsec_[A-Za-z0-9+/]{32,}={0,2}$")
DEFAULT_TIMEZONE = "Asia/Jakarta"


class SettingsError(ValueError):
    """The settings cannot run a service; the message says which ones and why."""


@dataclass(frozen=True, slots=True)
class StaffToken:
    """A machine's API token: its name, bearer token and role (admin unless the entry names
    one). The token never appears in repr()."""

    name: str
    token: SecretStr
    role: Role = Role.ADMIN

    def __repr__(self) -> str:
        return f"StaffToken(name={self.name!r}, role={self.role.value!r}, token='**********')"


class Settings(BaseSettings):
    """kasir's configuration. Field names are the environment variables, case-insensitive."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: str = DEFAULT_SQLITE_URL
    public_base_url: str = "http://127.0.0.1:8000"
    duitku_env: DuitkuEnv = "simulator"
    duitku_merchant_code: str | None = None
    duitku_api_key: SecretStr | None = None
    duitku_payment_method: str = "SP"
    duitku_expiry_minutes: int = Field(default=10, ge=1, le=60)
    # Requests: `auto` signs with HMAC-SHA256 and falls back to MD5 once on "Wrong signature".
    duitku_signature: Literal["auto", "hmac", "md5"] = "auto"
    # Callbacks: `both` verifies HMAC-SHA256 first, then MD5 (what Duitku's own libraries use).
    duitku_callback_signatures: Literal["both", "hmac", "md5"] = "both"
    # Removed setting, read only to refuse it with a message naming its replacement.
    duitku_callback_accept_md5: str | None = None
    # Which request signatures the mounted simulator accepts; `md5` plays an MD5-only Duitku
    # (it also signs its callbacks with MD5).
    duitku_simulator_signatures: Literal["both", "hmac", "md5"] = "both"
    duitku_base_url: str | None = None
    kasir_staff_tokens: Annotated[tuple[StaffToken, ...], NoDecode] = ()
    # One secret shared by every process: seals stored secrets (idempotent replays of new
    # orders). Required outside simulator/fake mode; generated for the run there.
    kasir_secret_key: SecretStr | None = None
    cors_allow_origins: Annotated[tuple[str, ...], NoDecode] = ()
    duitku_callback_allowlist: str = "default"
    # The gateway that issues new QRIS attempts; an attempt is always settled by the gateway
    # that issued it, so a configured gateway keeps settling its attempts after a switch.
    qris_gateway: QrisGateway = "duitku"
    # Off by default: when the issuing gateway provably created nothing (never reached, or a
    # definitive refusal), the other configured gateway issues the QR instead.
    qris_gateway_fallback: bool = False
    # Midtrans is configured when MIDTRANS_ENV is set (QRIS_GATEWAY=midtrans in a simulated
    # Duitku mode implies MIDTRANS_ENV=simulator).
    midtrans_env: MidtransEnv | None = None
    midtrans_server_key: SecretStr | None = None
    midtrans_client_key: str | None = None
    midtrans_base_url: str | None = None
    midtrans_acquirer: Literal["gopay", "airpay shopee"] = "gopay"
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    rate_limit_create_per_minute: int = Field(default=60, ge=0)
    rate_limit_rejected_callbacks_per_minute: int = Field(default=10, ge=0)
    notification_retention_days: int = Field(default=90, ge=1)
    # Refunds above this many rupiah wait for a second admin's approval even when an admin
    # asks for them (a cashier's always wait). MAX_RUPIAH is the domain's bound on money.
    refund_approval_threshold: int = Field(default=500_000, ge=0, le=1_000_000_000_000)
    # Rejected (forged, malformed, disallowed) notifications are deleted after this many days.
    notification_rejected_retention_days: int = Field(default=7, ge=1)
    # Staff sign-in (docs/access.md): how long a session lasts; after how many failed sign-ins
    # of one name from one address that pair is locked, and for how long.
    staff_session_hours: float = Field(default=12, gt=0, le=24 * 30)
    login_lock_after_failures: int = Field(default=8, ge=4, le=100)
    login_lockout_minutes: float = Field(default=15, gt=0, le=24 * 60)
    # Bearer token Prometheus sends to scrape /metrics; unset, /metrics answers 404.
    metrics_token: SecretStr | None = None
    # Seconds between two passes of the background reconciliation job; 0 turns it off.
    reconcile_interval_seconds: float = Field(default=60, ge=0, le=3600)
    # Slow and oversized clients (docs/production.md): the whole request body must arrive
    # within this many seconds (408 otherwise); `kasir serve` parses with httptools, bounded
    # by kasir to 16 KiB and 100 headers (entrypoints/server_limits.py), or with h11, which
    # bounds headers to 16 KiB at a higher CPU cost; at most this many connections and
    # requests at once per process.
    request_body_timeout_seconds: float = Field(default=10, gt=0, le=300)
    http_parser: Literal["h11", "httptools"] = "httptools"
    server_limit_concurrency: int = Field(default=1000, ge=1)
    # The signed webhook feed (docs/events.md). WEBHOOK_URL registers one fixed subscriber
    # (kept in step with these settings at start-up; WEBHOOK_SECRET its `whsec_` secret,
    # WEBHOOK_EVENT_TYPES its types, all when empty). In simulator mode without WEBHOOK_URL
    # the fixed subscriber is the receiver mounted at /simulator/webhooks.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_event_types: Annotated[tuple[str, ...], NoDecode] = ()
    # Private networks (CIDR) a subscriber may be on, over http too (a LAN kitchen display).
    webhook_allowed_private_networks: Annotated[tuple[str, ...], NoDecode] = ()
    # Seconds between two looks for due deliveries when nothing wakes the dispatcher; 0 = off.
    webhook_dispatch_interval_seconds: float = Field(default=5, ge=0, le=3600)
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=60)
    webhook_concurrency_per_subscriber: int = Field(default=4, ge=1, le=64)
    # The customer's payment page (/pay/{order_id}) and its live status stream
    # (docs/payment-page.md). The restaurant's name heads the page; RESTAURANT_EMAIL is the
    # address given to the gateway (which requires one) when the customer asks the page for a
    # new QR; unset, the page asks the customer for theirs.
    restaurant_name: str = Field(default="kasir", min_length=1, max_length=100)
    restaurant_email: str | None = Field(default=None, max_length=50)
    payment_link_hours: int = Field(default=24, ge=1, le=720)
    stream_token_seconds: int = Field(default=900, ge=30, le=86400)
    stream_max_per_process: int = Field(default=500, ge=1)
    stream_max_per_order: int = Field(default=4, ge=1)
    stream_idle_seconds: float = Field(default=600, gt=0, le=86400)
    stream_heartbeat_seconds: float = Field(default=15, gt=0, le=300)
    # Wakes the live status streams of every process: Redis when set, else PostgreSQL
    # LISTEN/NOTIFY when DATABASE_URL is PostgreSQL, else in-process (one SQLite process).
    redis_url: SecretStr | None = None
    # The receipt's header (with RESTAURANT_NAME) and the zone of its times, of the day report
    # and of date filters.
    restaurant_address: str = Field(default="", max_length=300)
    restaurant_timezone: str = DEFAULT_TIMEZONE
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    # Benchmark-only knobs (`make bench`, docs/benchmarks.md): refused unless DUITKU_ENV=fake.
    # KASIR_BENCHMARK_ROUTES mounts the baseline routes under /bench; FAKE_GATEWAY_AUTO_PAY
    # makes the in-memory gateway report every transaction as paid (with
    # FAKE_GATEWAY_AUTO_PAY_AMOUNT, also those another worker process created).
    kasir_benchmark_routes: bool = False
    fake_gateway_auto_pay: bool = False
    fake_gateway_auto_pay_amount: int | None = Field(default=None, ge=1)

    @field_validator("kasir_staff_tokens", mode="before")
    @classmethod
    def _parse_staff_tokens(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        tokens: list[StaffToken] = []
        for entry in filter(None, (part.strip() for part in value.split(","))):
            parts = [part.strip() for part in entry.split(":")]
            if len(parts) not in (2, 3) or not _STAFF_NAME.match(parts[0]):
                raise SettingsError(
                    "KASIR_STAFF_TOKENS must be name:token or name:token:role entries "
                    "separated by commas"
                )
            name, token = parts[0], parts[1]
            if len(token) < MIN_STAFF_TOKEN_LENGTH:
                raise SettingsError(
                    f"KASIR_STAFF_TOKENS: the token of {name!r} must have at least "
                    f"{MIN_STAFF_TOKEN_LENGTH} characters"
                )
            role = parts[2] if len(parts) == 3 else Role.ADMIN.value
            if role not in {r.value for r in Role}:
                raise SettingsError(
                    f"KASIR_STAFF_TOKENS: the role of {name!r} must be admin or cashier"
                )
            tokens.append(StaffToken(name, SecretStr(token), Role(role)))
        if len({t.name for t in tokens}) != len(tokens):
            raise SettingsError("KASIR_STAFF_TOKENS names a staff member twice")
        return tuple(tokens)

    @field_validator("restaurant_name", "restaurant_address", mode="after")
    @classmethod
    def _check_receipt_text(cls, value: str) -> str:
        value = value.strip()
        if any(unicodedata.category(char).startswith("C") for char in value):
            raise SettingsError("RESTAURANT_NAME and RESTAURANT_ADDRESS are one line of text")
        return value

    @field_validator("restaurant_timezone", mode="after")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        value = value.strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                "RESTAURANT_TIMEZONE must be an IANA time zone name such as Asia/Jakarta, "
                "Asia/Makassar or Asia/Jayapura"
            ) from None
        return value

    @field_validator(
        "kasir_secret_key",
        "midtrans_env",
        "midtrans_server_key",
        "midtrans_client_key",
        "midtrans_base_url",
        mode="before",
    )
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        # `KASIR_SECRET_KEY=` as in .env.example means "not set", not an empty secret (and
        # likewise for the Midtrans settings).
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "restaurant_email", "redis_url", "webhook_secret", "webhook_url", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("restaurant_email", mode="after")
    @classmethod
    def _check_restaurant_email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value.strip()):
            raise SettingsError("RESTAURANT_EMAIL must be an e-mail address")
        return value.strip() if value else None

    @field_validator("metrics_token", mode="after")
    @classmethod
    def _check_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < MIN_STAFF_TOKEN_LENGTH:
            raise SettingsError(
                f"METRICS_TOKEN must have at least {MIN_STAFF_TOKEN_LENGTH} characters"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator(
        "cors_allow_origins",
        "trusted_proxies",
        "webhook_event_types",
        "webhook_allowed_private_networks",
        mode="before",
    )
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(filter(None, (part.strip() for part in value.split(","))))
        return value

    @model_validator(mode="after")
    def _check_combination(self) -> "Settings":
        if self.duitku_callback_accept_md5 is not None:
            raise SettingsError(
                "DUITKU_CALLBACK_ACCEPT_MD5 is no longer read: remove it and use "
                "DUITKU_CALLBACK_SIGNATURES=both|hmac|md5 (default both: HMAC first, then MD5)"
            )
        if self.qris_gateway == "midtrans" and self.midtrans_environment is None:
            raise SettingsError("QRIS_GATEWAY=midtrans needs MIDTRANS_ENV")
        self._check_midtrans()
        real = not self.simulated
        if self.duitku_env in _REAL_ENVS and not (
            self.duitku_merchant_code and self.duitku_api_key
        ):
            raise SettingsError(
                f"DUITKU_ENV={self.duitku_env} needs DUITKU_MERCHANT_CODE and DUITKU_API_KEY"
            )
        if real and self.kasir_secret_key is None:
            raise SettingsError(
                f"{self._real_env_name()} needs KASIR_SECRET_KEY, one secret shared by every "
                f"process (at least {MIN_SECRET_KEY_LENGTH} characters, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        secret = self.kasir_secret_key.get_secret_value() if self.kasir_secret_key else None
        if secret is not None and len(secret.strip()) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                f"KASIR_SECRET_KEY must have at least {MIN_SECRET_KEY_LENGTH} characters"
            )
        if "production" in (self.duitku_env, self.midtrans_environment) and not (
            self.public_base_url.startswith("https://")
        ):
            raise SettingsError(f"{self._real_env_name()} needs an https:// PUBLIC_BASE_URL")
        if (
            self.duitku_env not in _REAL_ENVS
            and self.duitku_merchant_code
            and _PRODUCTION_MERCHANT_CODE.match(self.duitku_merchant_code)
        ):
            raise SettingsError(
                f"DUITKU_ENV={self.duitku_env} must not be given a production merchant code"
            )
        if (
            self.duitku_env not in _REAL_ENVS
            and self.duitku_base_url
            and "duitku.com" in self.duitku_base_url
        ):
            raise SettingsError(
                f"DUITKU_ENV={self.duitku_env} must not point DUITKU_BASE_URL at Duitku"
            )
        self._check_benchmark_knobs()
        self._check_webhooks()
        try:
            networks(self.trusted_proxies)
            networks(self.callback_allowlist() or ())
        except ValueError as error:
            raise SettingsError(
                "TRUSTED_PROXIES and DUITKU_CALLBACK_ALLOWLIST take addresses or CIDR blocks"
            ) from error
        return self

    def _check_webhooks(self) -> None:
        try:
            parse_networks(self.webhook_allowed_private_networks)
        except ValueError:
            raise SettingsError("WEBHOOK_ALLOWED_PRIVATE_NETWORKS takes CIDR blocks") from None
        unknown = sorted(set(self.webhook_event_types) - set(ALL_EVENT_TYPES))
        if unknown:
            raise SettingsError(f"WEBHOOK_EVENT_TYPES names unknown types {unknown}")
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else None
        if secret is not None and not _WHSEC.match(secret):
            raise SettingsError(
                "WEBHOOK_SECRET must be whsec_ followed by base64 of at least 24 bytes"
            )
        if self.webhook_url and secret is None:
            raise SettingsError("WEBHOOK_URL needs WEBHOOK_SECRET (whsec_...), shared with it")

    def _real_env_name(self) -> str:
        """The setting that makes this a real deployment, for messages."""
        if self.duitku_env in _REAL_ENVS:
            return f"DUITKU_ENV={self.duitku_env}"
        return f"MIDTRANS_ENV={self.midtrans_environment}"

    def _check_midtrans(self) -> None:
        """Midtrans's settings, and the combinations of two gateways no deployment can run."""
        env = self.midtrans_environment
        if env is None:
            given = [
                name
                for name, value in (
                    ("MIDTRANS_SERVER_KEY", self.midtrans_server_key),
                    ("MIDTRANS_BASE_URL", self.midtrans_base_url),
                )
                if value is not None
            ]
            if given:
                raise SettingsError(f"{', '.join(given)} need MIDTRANS_ENV")
            if self.qris_gateway_fallback:
                raise SettingsError("QRIS_GATEWAY_FALLBACK needs a second gateway (MIDTRANS_ENV)")
            return
        key = self.midtrans_server_key.get_secret_value() if self.midtrans_server_key else ""
        if env in _REAL_ENVS and not key.strip():
            raise SettingsError(f"MIDTRANS_ENV={env} needs MIDTRANS_SERVER_KEY")
        if env == "production" and key.startswith(_MIDTRANS_SANDBOX_KEY_PREFIX):
            raise SettingsError("MIDTRANS_ENV=production must not be given a sandbox server key")
        if env != "production" and key and not key.startswith(_MIDTRANS_SANDBOX_KEY_PREFIX):
            raise SettingsError(f"MIDTRANS_ENV={env} must not be given a production server key")
        if (
            env not in _REAL_ENVS
            and self.midtrans_base_url
            and ("midtrans.com" in self.midtrans_base_url)
        ):
            raise SettingsError(f"MIDTRANS_ENV={env} must not point MIDTRANS_BASE_URL at Midtrans")
        # Real money next to a simulated gateway (whose control routes "pay" anything) or a
        # sandbox next to production: one of the two is a mistake, never a deployment.
        duitku_real, midtrans_real = self.duitku_env in _REAL_ENVS, env in _REAL_ENVS
        if duitku_real != midtrans_real or (
            duitku_real and "production" in (self.duitku_env, env) and self.duitku_env != env
        ):
            raise SettingsError(
                f"DUITKU_ENV={self.duitku_env} and MIDTRANS_ENV={env} cannot run together: "
                "both simulated (simulator/fake), both sandbox, or both production"
            )
        if (self.duitku_env == "fake") != (env == "fake"):
            raise SettingsError(
                "DUITKU_ENV=fake and MIDTRANS_ENV=fake go together (the in-memory gateways)"
            )

    def _check_benchmark_knobs(self) -> None:
        knobs = {
            "KASIR_BENCHMARK_ROUTES": self.kasir_benchmark_routes,
            "FAKE_GATEWAY_AUTO_PAY": self.fake_gateway_auto_pay,
            "FAKE_GATEWAY_AUTO_PAY_AMOUNT": self.fake_gateway_auto_pay_amount is not None,
        }
        given = [name for name, on in knobs.items() if on]
        if given and self.duitku_env != "fake":
            raise SettingsError(
                f"{', '.join(given)} only work with DUITKU_ENV=fake (benchmarks and tests)"
            )
        if self.fake_gateway_auto_pay_amount is not None and not self.fake_gateway_auto_pay:
            raise SettingsError("FAKE_GATEWAY_AUTO_PAY_AMOUNT needs FAKE_GATEWAY_AUTO_PAY=true")

    @property
    def simulated(self) -> bool:
        """True when no real money can move (simulators or in-memory fake gateways)."""
        return self.duitku_env not in _REAL_ENVS and self.midtrans_environment not in _REAL_ENVS

    @property
    def midtrans_environment(self) -> MidtransEnv | None:
        """MIDTRANS_ENV; when unset, `simulator` if QRIS_GATEWAY=midtrans in a simulated Duitku
        mode (never a real gateway by default); None: Midtrans is not configured."""
        if self.midtrans_env is not None:
            return self.midtrans_env
        if self.qris_gateway == "midtrans" and self.duitku_env in ("simulator", "fake"):
            return "fake" if self.duitku_env == "fake" else "simulator"
        return None

    def callback_allowlist(self) -> tuple[str, ...] | None:
        """Addresses allowed to send callbacks; None when the allowlist is off.

        `default` is on with Duitku's published addresses for sandbox and production and off
        for the simulator and fake modes; `off` turns it off; anything else is a list.
        """
        value = self.duitku_callback_allowlist.strip().lower()
        if value == "off" or (value == "default" and self.simulated):
            return None
        if value == "default":
            return DUITKU_CALLBACK_ADDRESSES[self.duitku_env]
        return tuple(filter(None, (part.strip() for part in value.split(","))))

    @property
    def restaurant(self) -> Restaurant:
        """Who issues the receipts, and the zone of the restaurant's dates and times."""
        zone_name = self.restaurant_timezone
        return Restaurant(
            name=self.restaurant_name,
            address=self.restaurant_address,
            zone=zoneinfo.ZoneInfo(zone_name),
            zone_name=zone_name,
        )

    @property
    def base_url(self) -> str:
        return self.public_base_url.rstrip("/")


def with_local_staff_token(settings: Settings) -> tuple[Settings, StaffToken | None]:
    """In simulated modes without staff tokens, make one for local use (printed at start-up)."""
    if settings.kasir_staff_tokens or not settings.simulated:
        return settings, None
    token = StaffToken("local-staff", SecretStr(secrets.token_urlsafe(24)))
    return settings.model_copy(update={"kasir_staff_tokens": (token,)}), token


def with_run_secret_key(settings: Settings) -> Settings:
    """In simulated modes without KASIR_SECRET_KEY, one secret for this run (all its workers)."""
    if settings.kasir_secret_key is not None or not settings.simulated:
        return settings
    return settings.model_copy(update={"kasir_secret_key": SecretStr(secrets.token_urlsafe(32))})


def secret_key_for_run(settings: Settings) -> str:
    """KASIR_SECRET_KEY, or in simulated modes without one a fresh secret for this process
    (what it sealed does not open in another process or after a restart: set one to share)."""
    if settings.kasir_secret_key is not None:
        return settings.kasir_secret_key.get_secret_value().strip()
    if not settings.simulated:
        raise SettingsError(f"DUITKU_ENV={settings.duitku_env} needs KASIR_SECRET_KEY")
    return secrets.token_urlsafe(32)


def load_settings(**overrides: object) -> Settings:
    """Read the settings; on error raise SettingsError naming the fields, never their values."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']).upper() or 'settings'}: "
            f"{item['msg'].removeprefix('Value error, ')}"
            for item in error.errors(include_input=False, include_url=False)
        )
        raise SettingsError(f"invalid settings: {problems}") from None
