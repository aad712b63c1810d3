"""The `sqlite`, `pg` and `pg2` suites: every scenario next to its baseline on one server.

One server, one database seeded with `base_rows` orders. After a warm-up that measures the
pace, the setup prepares enough fresh attempts and orders for one run of each single-use
scenario; then every scenario and baseline runs once, the naive callback last (its orders
go straight into the database just before it, kasir_bench.seed, so kasir's own scenarios run
on the seeded database alone), and the two steady scenarios a second time for the memory
verdict. `server` is uvicorn (`kasir serve` as it is) or another server (`--servers`).
"""

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from kasir_bench import seed as seeding
from kasir_bench.console import log
from kasir_bench.constants import NAIVE_PATH, WEBHOOK
from kasir_bench.databases import Database
from kasir_bench.load import Figure, Traffic, describe, run_wrk
from kasir_bench.memory import memory_report
from kasir_bench.profiling import finish_profile, start_profile
from kasir_bench.scenarios import Setup, callback_lines, get_lines, naive_lines, qris_lines
from kasir_bench.server import MemorySampler, Server
from kasir_bench.suites import ORDERS_PATH, QRIS_PATH, Run, add_ratios, prepare, size_for, warm_up

PROFILED = ("callback", "qris", "dup_callback")
UNBALANCED_SHARE = 0.7  # one worker with more of the CPU than this: run again
MAX_RETRIES = 2


class _Lines(NamedTuple):
    """The prepared requests of every scenario."""

    dup: Path
    callbacks: Path
    naive_count: int  # orders the naive callback needs
    qris: Path
    gets: Path


@dataclass
class _Measured:
    """What the suite collects while it runs."""

    figures: dict[str, Figure] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)
    repeat_rss: list[int] | None = None


class FullSuite:
    def __init__(
        self, run: Run, name: str, database: Database, workers: int, server: str = "uvicorn"
    ) -> None:
        self.run = run
        self.name = name
        self.database = database
        self.workers = workers
        self.work = run.workdir / name.replace("@", "-")
        self.server = Server(name, database.url, workers, self.work, run.server_env(workers))
        self.server.server = server
        self.sampler = MemorySampler(self.server)
        self.measured = _Measured()

    def __call__(self) -> dict[str, Any]:
        self.work.mkdir(parents=True, exist_ok=True)
        seeded = prepare(self.run, self.database, self.run.base_rows)
        self.server.start()
        self.sampler.start()
        try:
            started = time.monotonic()
            lines = self._setup()
            self._scenarios(lines)
            self._repeat(lines)
            self.measured.timings["suite_seconds"] = round(time.monotonic() - started, 1)
        finally:
            final_rss = self._stop()
        figures = self.measured.figures
        add_ratios(figures)
        return {
            "name": self.name,
            "database": self.database.kind,
            "workers": self.workers,
            "server": self.server.server,
            "server_command": " ".join(self.server.command()[1:]),
            "seeded": seeded,
            "timings": self.measured.timings,
            "figures": {k: asdict(v) for k, v in figures.items()},
            "memory": memory_report(self.sampler, final_rss, figures, self.measured.repeat_rss),
            "log": str(self.server.log_path),
            "profiles": self.measured.profiles,
        }

    def _setup(self) -> _Lines:
        """Warm up, then prepare the lines of every scenario."""
        settings, timings = self.run.settings, self.measured.timings
        setup = Setup(self.server.base_url, item_id=1)
        self.sampler.phase = "warmup"
        dup = warm_up(
            self.server, setup, self.work, settings, timings, qris=True, naive=self.database
        )
        # Enough fresh attempts and orders for one run at the pace the warm-up measured.
        count = size_for(timings["warm_callback_rps"], settings)
        orders = size_for(timings["warm_qris_rps"], settings)
        self.sampler.phase = "setup"
        log(f"{self.name}: creating {count:,} QRIS attempts and {orders:,} orders through the API")
        t = time.monotonic()
        attempts = setup.attempts(count)
        fresh_orders = setup.orders(orders)
        timings["setup_seconds"] = round(time.monotonic() - t, 1)
        timings["setup_requests_per_second"] = round(
            (2 * count + orders) / timings["setup_seconds"], 1
        )
        return _Lines(
            dup,
            callback_lines(self.work / "callback.lines", attempts),
            # The bare form route's pace bounds the naive handler's (it does that and more);
            # the naive warm-up run itself is too short to size on: it may run out.
            size_for(timings["warm_form_rps"], settings),
            qris_lines(self.work / "qris.lines", fresh_orders),
            get_lines(self.work / "get.lines", [a.order for a in attempts]),
        )

    def _scenarios(self, lines: _Lines) -> None:
        self._measure(Traffic("base_form", "/bench/form", lines.dup, "form"))
        self._measure(Traffic("callback", WEBHOOK, lines.callbacks, "form", cycle=False))
        self._measure(Traffic("dup_callback", WEBHOOK, lines.dup, "form"))
        self._measure(Traffic("base_json", "/bench/json", lines.qris, "json"))
        pending_before = self.database.payment_count("pending")
        qris_figure = self._measure(Traffic("qris", QRIS_PATH, lines.qris, "json", cycle=False))
        created = self.database.payment_count("pending") - pending_before
        qris_figure.outcomes = {"attempts_created": created}
        self._measure(Traffic("base_get", "/bench/orders", lines.gets, "get"))
        self._measure(Traffic("get_order", ORDERS_PATH, lines.gets, "get"))
        self._naive(lines.naive_count)

    def _naive(self, count: int) -> None:
        """The naive callback, on orders inserted for it just now; counts those it paid."""
        self.sampler.phase = "setup"
        log(f"{self.name}: inserting {count:,} orders awaiting payment for the naive callback")
        t = time.monotonic()
        orders = seeding.awaiting_orders(self.database.url, count, item=1)
        self.measured.timings["naive_seed_seconds"] = round(time.monotonic() - t, 1)
        lines = naive_lines(self.work / "naive.lines", orders)
        paid_before = self.database.naive_paid()
        naive = self._measure(Traffic("naive_callback", NAIVE_PATH, lines, "form", cycle=False))
        naive.outcomes = {"order_paid": self.database.naive_paid() - paid_before}

    def _repeat(self, lines: _Lines) -> None:
        """Memory: the first pass over the data fills caches (SQLite page caches, statement
        caches, pools); a second pass of the same steady scenarios must not grow any more."""
        settings = self.run.settings
        before = self.sampler.now_kib()
        for traffic in (
            Traffic("repeat_dup_callback", WEBHOOK, lines.dup, "form"),
            Traffic("repeat_get_order", ORDERS_PATH, lines.gets, "get"),
        ):
            duration = max(3.0, settings.duration / 2)
            run_wrk(
                self.server, traffic, duration=duration, settings=settings, sampler=self.sampler
            )
        self.measured.repeat_rss = [before, self.sampler.now_kib()]

    def _once(self, traffic: Traffic) -> Figure:
        settings = self.run.settings
        return run_wrk(
            self.server,
            traffic,
            duration=settings.duration,
            settings=settings,
            sampler=self.sampler,
        )

    def _measure(self, traffic: Traffic) -> Figure:
        """One measured run (again when two workers split the load very unevenly), with the
        stored callbacks' outcomes and, with --profile, a py-spy profile."""
        scenario = traffic.scenario
        counts_inbox = traffic.mode == "form" and traffic.path == WEBHOOK
        before = self.database.inbox_max_id() if counts_inbox else None
        raw = self.work / f"profile-{scenario}.raw"
        spy = None
        if self.run.profile and scenario in PROFILED:
            spy = start_profile(self.server, self.run.settings.duration - 1, raw)
        figure = self._once(traffic)
        # Two workers but (nearly) every connection on one of them: run it again, when
        # the scenario can be repeated (those using each request once cannot).
        retries = 0
        while traffic.cycle and retries < MAX_RETRIES and self._unbalanced(figure):
            retries += 1
            log(f"{self.name}: {scenario} ran unbalanced {figure.worker_cpu_share}: again")
            figure = self._once(traffic)
            figure.retries = retries
        if spy is not None:
            self.measured.profiles[scenario] = finish_profile(spy, raw)
        if before is not None:
            figure.outcomes = self.database.inbox_outcomes_after(before)
        self.measured.figures[scenario] = figure
        log(f"{self.name}: {describe(figure)}")
        return figure

    @staticmethod
    def _unbalanced(figure: Figure) -> bool:
        return max(figure.worker_cpu_share or [0]) > UNBALANCED_SHARE

    def _stop(self) -> dict[int, int]:
        """Stop the sampler and the server (and drop the database unless --keep)."""
        self.sampler.phase = "end"
        time.sleep(1.0)
        self.sampler.stop()
        final_rss = self.server.rss()
        self.server.stop()
        if not self.run.keep:
            self.database.drop()
        return final_rss


def full_suite(
    run: Run, name: str, database: Database, workers: int, server: str = "uvicorn"
) -> dict[str, Any]:
    return FullSuite(run, name, database, workers, server)()
