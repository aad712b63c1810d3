"""Where the bench finds kasir and writes its results, and what it compares with what."""

import sys
from dataclasses import dataclass
from pathlib import Path

from entrypoints.duitku_simulator import DEV_API_KEY, DEV_MERCHANT_CODE

PACKAGE = Path(__file__).resolve().parent
BENCH = PACKAGE.parent
ROOT = BENCH.parent
TMP = BENCH / "tmp"
RESULTS = BENCH / "results"
CHARTS = ROOT / "docs" / "benchmarks"
LUA = BENCH / "lua" / "lines.lua"
VENV_BIN = Path(sys.executable).parent
KASIR = VENV_BIN / "kasir"

# In DUITKU_ENV=fake without Duitku credentials, kasir's fake signs and the production
# verifier checks callbacks with the development merchant code and key (entrypoints.gateways).
MERCHANT_CODE = DEV_MERCHANT_CODE
SIGNING_KEY = DEV_API_KEY
WEBHOOK = "/api/v1/webhooks/duitku"
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}
ALL_SUITES = ("server", "sqlite", "pg", "pg2", "scale-sqlite", "scale-pg")
PG_SUITES = ("server", "pg", "pg2", "scale-pg")


@dataclass(frozen=True)
class Measured:
    """A kasir scenario, the bare route it is compared with, and its title in the charts."""

    scenario: str
    baseline: str
    title: str


MEASURED = (
    Measured("callback", "base_form", "callback (pays a pending attempt)"),
    Measured("dup_callback", "base_form", "duplicate callback"),
    Measured("qris", "base_json", "POST /payments/qris"),
    Measured("get_order", "base_get", "GET /orders/{id}"),
)
BASELINE_OF = {m.scenario: m.baseline for m in MEASURED}
GOALS = {
    "callback_ratio_pg": 0.25,
    "callback_ratio_sqlite": 0.20,
    "dup_callback_ratio": 0.5,
    "callback_p99_ms": 50.0,
    "scale_ratio": 0.9,
}
