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
    Measured("naive_callback", "base_form", "naive callback (verify, one UPDATE)"),
    Measured("dup_callback", "base_form", "duplicate callback"),
    Measured("qris", "base_json", "POST /payments/qris"),
    Measured("get_order", "base_get", "GET /orders/{id}"),
)
BASELINE_OF = {m.scenario: m.baseline for m in MEASURED}
NAIVE_PATH = "/bench/callback"
# kasir's paying callback as a ratio of the naive handler's: the price of kasir's safety.
SAFETY_PRICE = ("callback", "naive_callback")
# Servers `--servers` can run the same scenarios on, side by side; `kasir serve` uses uvicorn.
SERVERS = ("uvicorn", "granian")

# The goals of issue #17, as docs/benchmarks.md lists them, per database suite (1 worker).
# Ratios are rps against the scenario's baseline in the same run (higher is better); p99 in
# milliseconds and CPU in microseconds of kasir's server processes per request (lower).
GOAL_CONNECTIONS = 16  # the p99 goal holds at this many wrk connections
GOALS: dict[str, dict[str, float]] = {
    "pg": {
        "callback_ratio": 0.25,
        "dup_callback_ratio": 0.50,
        "qris_ratio": 0.25,
        "get_order_ratio": 0.50,
        "callback_p99_ms": 50.0,
        "callback_cpu_us": 800.0,
        "dup_callback_cpu_us": 400.0,
        "callback_vs_naive": 0.4,
    },
    "sqlite": {
        "callback_ratio": 0.20,
        "dup_callback_ratio": 0.40,
        "qris_ratio": 0.20,
        "get_order_ratio": 0.40,
        "callback_p99_ms": 50.0,
        "callback_cpu_us": 1000.0,
        "dup_callback_cpu_us": 400.0,
        "callback_vs_naive": 0.4,
    },
}
# Server CPU per request of the bare form route on the machine the CPU goals were set on
# (2 vCPU Intel Xeon, runs of 2026-11-26). Machines of "the same kind" differ several-fold in
# speed: the goals report also says what a CPU target reads at this machine's own pace.
REFERENCE_BASE_FORM_CPU_US = {"pg": 157.0, "sqlite": 156.0}
# The callback with this many stored orders runs at least SCALE_RATIO of its rate with
# `--base-rows` (1,000) stored.
SCALE_GOAL_ROWS = 1_000_000
SCALE_RATIO = 0.9
# The personal-data purge on that year of history (kasir_bench.purge) is bounded when each of
# its transactions is short (on SQLite it holds the database's one write lock, so every
# callback waits for it; 250 ms is five times the callback p99 goal) and its memory small (the
# unbounded purge it replaced held ~380 MiB more): in its first run on a history never purged,
# and in the hourly run of the steady state.
PURGE_TRANSACTION_MS = 250.0
PURGE_MEMORY_MIB = 20.0
# Suites whose server must not grow in memory over a second pass of the steady scenarios.
MEMORY_SUITES = ("sqlite", "pg", "pg2")
