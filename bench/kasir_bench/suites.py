"""What the suites share: the run's settings, a seeded database, the warm-up, ratios, medians."""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kasir_bench import seed as seeding
from kasir_bench.console import log
from kasir_bench.constants import BASELINE_OF, NAIVE_PATH, SAFETY_PRICE, WEBHOOK
from kasir_bench.databases import Database
from kasir_bench.load import Figure, LoadSettings, Traffic, run_wrk
from kasir_bench.scenarios import Setup, callback_lines, get_lines, naive_lines, qris_lines
from kasir_bench.server import Server

QRIS_PATH = "/api/v1/payments/qris"
ORDERS_PATH = "/api/v1/orders"


@dataclass
class Run:
    settings: LoadSettings
    workdir: Path
    pg_url: str
    base_rows: int
    scale_rows: int
    menu: Sequence[tuple[str, int]]
    keep: bool
    profile: bool
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def item_price(self) -> int:
        return self.menu[0][1]

    def server_env(self, workers: int) -> dict[str, str]:
        """With several workers a callback may reach a worker whose fake never saw the
        transaction: every benchmark order costs the first menu item, so it answers that."""
        return {"FAKE_GATEWAY_AUTO_PAY_AMOUNT": str(self.item_price)} if workers > 1 else {}


def prepare(run: Run, database: Database, rows: int) -> dict[str, Any]:
    """Create the database and seed it with `rows` orders of history."""
    log(f"{database.name}: creating ({database.kind}) and seeding {rows:,} orders")
    database.create()
    report = seeding.seed(database.url, rows, run.menu)
    size = database.size_mib()
    log(
        f"{database.name}: seeded {report.orders:,} orders, {report.payments:,} payments, "
        f"{report.inbox:,} inbox rows in {report.seconds:.1f} s ({size:.0f} MiB)"
    )
    return {**asdict(report), "database_mib": round(size, 1)}


def size_for(rate: float, settings: LoadSettings, cap: int = 150_000) -> int:
    """How many single-use requests one measured run at `rate` needs, plus half."""
    return min(cap, math.ceil(max(rate, 20.0) * settings.duration * 1.5) + 200)


def warm_up(
    server: Server,
    setup: Setup,
    work: Path,
    settings: LoadSettings,
    timings: dict[str, float],
    *,
    qris: bool,
    naive: Database | None = None,
) -> Path:
    """Warm the server (discarded runs: connections, statement caches, first requests) and
    measure the pace of the scenarios that use each prepared request once, on a small batch,
    so the setup prepares enough for one measured run and not much more: the paying callback,
    with `qris` the QRIS creation; with `naive` (the server's database) the naive callback is
    warmed too (its run is sized on the bare form route's pace, which bounds it).
    Returns the lines of the duplicate callback (an attempt settled here)."""
    settled = setup.first_settled()
    dup = callback_lines(work / "dup.lines", [settled])
    get_warm = get_lines(work / "get_warm.lines", [settled.order])
    for traffic in (
        Traffic("warm_form", "/bench/form", dup, "form"),
        Traffic("warm_get", ORDERS_PATH, get_warm, "get"),
        Traffic("warm_dup", WEBHOOK, dup, "form"),
    ):
        warm = run_wrk(server, traffic, duration=settings.warmup, settings=settings)
        timings[f"{traffic.scenario}_rps"] = round(warm.rps, 1)
    batch = max(50, int(timings["warm_dup_rps"] * settings.warmup * 0.6))
    probes = [
        Traffic(
            "warm_callback",
            WEBHOOK,
            callback_lines(work / "warm_callback.lines", setup.attempts(batch)),
            "form",
            cycle=False,
        )
    ]
    if qris:
        lines = qris_lines(work / "warm_qris.lines", setup.orders(batch))
        probes.append(Traffic("warm_qris", QRIS_PATH, lines, "json", cycle=False))
    if naive is not None:
        orders = seeding.awaiting_orders(naive.url, batch, setup.item_id)
        lines = naive_lines(work / "warm_naive.lines", orders)
        probes.append(Traffic("warm_naive_callback", NAIVE_PATH, lines, "form", cycle=False))
    for traffic in probes:
        warm = run_wrk(server, traffic, duration=settings.warmup, settings=settings)
        timings[f"{traffic.scenario}_rps"] = round(warm.rps, 1)
    return dup


def add_ratios(figures: dict[str, Figure]) -> None:
    """Each scenario's rate (and p99) as a ratio to its baseline's, in the same run."""
    for scenario, baseline in BASELINE_OF.items():
        if scenario in figures and baseline in figures and figures[baseline].rps:
            figure = figures[scenario]
            figure.baseline = baseline
            figure.ratio = round(figure.rps / figures[baseline].rps, 4)
            if figures[baseline].p99_ms:
                figure.p99_vs_baseline = round(figure.p99_ms / figures[baseline].p99_ms, 2)
    kasir, naive = SAFETY_PRICE
    if kasir in figures and naive in figures and figures[naive].rps:
        figures[kasir].ratio_to_naive = round(figures[kasir].rps / figures[naive].rps, 4)


def median_figure(runs: Sequence[Figure]) -> Figure:
    """The run with the median rate (its own latencies and CPU), with every run's rate kept."""
    ordered = sorted(runs, key=lambda f: f.rps)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.runs_rps = [round(f.rps, 1) for f in runs]
    chosen.runs_cpu_us = [f.server_cpu_us_per_request for f in runs]
    return chosen
