"""The `scale-sqlite` and `scale-pg` suites: the callback with few and with many stored orders.

One database holds `base_rows` orders, the other `scale_rows`, each with its own server; the
callback runs alternate (small, large, small, large...) so that other load on the machine hits
both alike. The median round of each is reported. Then, on the large database, the
personal-data purge: the hourly run in the steady state and the first run on the same history
never purged, with paying callbacks meanwhile (kasir_bench.purge).
"""

import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kasir_bench.console import log
from kasir_bench.constants import WEBHOOK
from kasir_bench.databases import Database
from kasir_bench.load import Figure, Traffic, describe, run_wrk
from kasir_bench.purge import measure_purge
from kasir_bench.scenarios import Setup, callback_lines
from kasir_bench.server import MemorySampler, Server
from kasir_bench.suites import Run, median_figure, prepare, size_for, warm_up

SIZES = ("small", "large")


class ScaleSuite:
    def __init__(self, run: Run, name: str, small: Database, large: Database, rounds: int) -> None:
        self.run = run
        self.name = name
        self.rounds = rounds
        self.work = run.workdir / name
        self.databases = {"small": small, "large": large}
        self.rows = {"small": run.base_rows, "large": run.scale_rows}
        self.servers: dict[str, Server] = {}
        self.samplers: dict[str, MemorySampler] = {}
        self.timings: dict[str, Any] = {}

    def __call__(self) -> dict[str, Any]:
        self.work.mkdir(parents=True, exist_ok=True)
        seeded = {size: prepare(self.run, self.databases[size], self.rows[size]) for size in SIZES}
        runs: dict[str, list[Figure]] = {size: [] for size in SIZES}
        purge: dict[str, Any]
        try:
            lines = self._setup()
            for round_ in range(self.rounds):
                for size in SIZES:
                    runs[size].append(self._measure(size, round_, lines[size][round_]))
            purge = self._purge(lines["large"][self.rounds])
        finally:
            final_rss = self._stop()
        figures = {size: median_figure(r) for size, r in runs.items() if r}
        return {
            "name": self.name,
            "database": self.databases["small"].kind,
            "workers": 1,
            "rounds": self.rounds,
            "seeded": seeded,
            "timings": self.timings,
            "figures": {k: asdict(v) for k, v in figures.items()},
            "final_rss_mib": {k: round(sum(v.values()) / 1024, 1) for k, v in final_rss.items()},
            "purge": purge,
        }

    def _purge(self, callbacks: Path) -> dict[str, Any]:
        """The purge on the large database (after the callback runs: they stay unaffected).
        A failure here is recorded, and the scale figures kept."""
        try:
            return measure_purge(
                self.name,
                self.databases["large"],
                self.servers["large"],
                self.rows["large"],
                settings=self.run.settings,
                callbacks=callbacks,
                sampler=self.samplers["large"],
            )
        except Exception as error:
            log(f"{self.name}: measuring the purge failed: {error!r}")
            return {"error": traceback.format_exc()}

    def _setup(self) -> dict[str, list[Path]]:
        """Start and warm both servers, then prepare `rounds` runs of callbacks for each."""
        settings = self.run.settings
        setups: dict[str, Setup] = {}
        for size in SIZES:
            server = Server(f"{self.name}-{size}", self.databases[size].url, 1, self.work / size)
            server.start()
            self.servers[size] = server
            self.samplers[size] = MemorySampler(server)
            self.samplers[size].start()
            setups[size] = Setup(server.base_url, item_id=1)
            self.timings[size] = {}
            warm_up(
                server, setups[size], self.work / size, settings, self.timings[size], qris=False
            )
        # Both get enough for the faster of the two: a run must never run out of attempts
        # (wrk would then count the idle rest of the run and understate the rate).
        pace = max(t["warm_callback_rps"] for t in self.timings.values())
        count = size_for(pace, settings)
        lines: dict[str, list[Path]] = {}
        for size, setup in setups.items():
            # The large server gets one more run's worth: callbacks during the purge.
            sets = self.rounds + (1 if size == "large" else 0)
            log(f"{self.name} ({size}): creating {sets} × {count:,} QRIS attempts")
            t = time.monotonic()
            attempts = setup.attempts(sets * count)
            self.timings[size]["setup_seconds"] = round(time.monotonic() - t, 1)
            lines[size] = [
                callback_lines(self.work / size / f"callback-{r}.lines", attempts[r::sets])
                for r in range(sets)
            ]
        return lines

    def _measure(self, size: str, round_: int, lines: Path) -> Figure:
        database = self.databases[size]
        before = database.inbox_max_id()
        figure = run_wrk(
            self.servers[size],
            Traffic("callback", WEBHOOK, lines, "form", cycle=False),
            duration=self.run.settings.duration,
            settings=self.run.settings,
            sampler=self.samplers[size],
        )
        figure.outcomes = database.inbox_outcomes_after(before)
        log(
            f"{self.name} ({size}, {self.rows[size]:,} rows) round {round_ + 1}: {describe(figure)}"
        )
        return figure

    def _stop(self) -> dict[str, dict[int, int]]:
        final_rss = {}
        for size, server in self.servers.items():
            self.samplers[size].stop()
            final_rss[size] = server.rss()
            server.stop()
        if not self.run.keep:
            for database in self.databases.values():
                database.drop()
        return final_rss


def scale_suite(
    run: Run, name: str, small: Database, large: Database, rounds: int = 2
) -> dict[str, Any]:
    return ScaleSuite(run, name, small, large, rounds)()
