"""One wrk run against the server under test, and the figure it yields.

Besides wrk's own numbers (rate and latency percentiles from bench/lua/lines.lua), a figure
holds where the machine's CPU went during the run: the server's processes, its PostgreSQL
backends, wrk itself, and everything else ("others", the noise of a shared machine); and per
request, the CPU of kasir's server processes and of the PostgreSQL backends serving the
bench's database (kasir_bench.pg_backends).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kasir_bench import processes
from kasir_bench.constants import LUA
from kasir_bench.pg_backends import BackendCpu
from kasir_bench.procfs import CORES, TCK, cmdline, cpu_ticks, machine_busy_ticks, uid_processes
from kasir_bench.server import MemorySampler, Server

_PG_SHARED = ("walwriter", "checkpointer", "background writer")


@dataclass(frozen=True)
class Traffic:
    """What wrk sends: `mode` form, json or get (see lines.lua), one line of `lines` each.

    Without `cycle`, every line is sent once (a callback for each pending attempt) and wrk
    stops a thread that used all of its lines (the figure is then marked exhausted).
    """

    scenario: str
    path: str
    lines: Path
    mode: str
    cycle: bool = True

    def named(self, scenario: str) -> Traffic:
        return Traffic(scenario, self.path, self.lines, self.mode, self.cycle)


@dataclass
class LoadSettings:
    duration: float
    warmup: float
    connections: int
    threads: int


@dataclass
class Figure:
    scenario: str
    path: str
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    requests: int
    seconds: float
    errors: dict[str, int]
    exhausted: bool
    server_cpu_us_per_request: float
    # The backends of the bench's PostgreSQL database (None on SQLite), per request.
    postgres_backend_cpu_us_per_request: float | None
    load_generator_cpu_pct: float
    postgres_cpu_pct: float
    other_cpu_pct: float
    rss_kib_before: int = 0
    rss_kib_after: int = 0
    # Several workers: each one's share of the server CPU (wrk's 16 keep-alive connections
    # are spread over the workers by whichever accepts first, sometimes very unevenly).
    worker_cpu_share: list[float] | None = None
    retries: int = 0
    outcomes: dict[str, int] | None = None
    baseline: str | None = None
    ratio: float | None = None
    ratio_to_naive: float | None = None  # the paying callback against the naive one
    p99_vs_baseline: float | None = None
    runs_rps: list[float] | None = None
    runs_cpu_us: list[float] | None = None
    postgres_backends: int | None = None  # how many served the run


def _database_name(server: Server) -> str | None:
    if "postgresql" not in server.database_url:
        return None
    return server.database_url.rsplit("/", 1)[1]


def _postgres_pids(server: Server) -> list[int]:
    """This server's PostgreSQL backends (by database name) and the shared WAL processes;
    other databases' backends (other people's tests) count as other load."""
    database = _database_name(server)
    if database is None:
        return []
    return [
        pid
        for pid in uid_processes("postgres")
        if f" {database} " in (line := cmdline(pid)) or any(s in line for s in _PG_SHARED)
    ]


@dataclass
class _Cpu:
    """CPU ticks at one moment: the machine's, the server's (each worker's), PostgreSQL's."""

    busy: int
    total: int
    server: int
    workers: list[int]
    postgres: dict[int, int]
    own: int

    @classmethod
    def read(cls, server: Server, pids: list[int]) -> _Cpu:
        busy, total = machine_busy_ticks()
        return cls(
            busy,
            total,
            cpu_ticks(pids),
            [cpu_ticks([pid]) for pid in pids],
            {pid: cpu_ticks([pid]) for pid in _postgres_pids(server)},
            cpu_ticks([os.getpid()]),
        )


@dataclass
class _Usage:
    """Where the CPU went during one run, in ticks (`wall` is the elapsed ticks of one CPU)."""

    wall: float
    server: int
    postgres: int
    wrk: float
    other: float
    worker_share: list[float] | None

    @classmethod
    def between(cls, start: _Cpu, end: _Cpu, wrk_seconds: float) -> _Usage:
        # PostgreSQL backends come and go with the pool: count those alive at the end, from
        # their start (a backend that ended during the run is missed, never counted negative).
        postgres = sum(ticks - start.postgres.get(pid, 0) for pid, ticks in end.postgres.items())
        each = [after - before for before, after in zip(start.workers, end.workers, strict=True)]
        server = end.server - start.server
        wrk = wrk_seconds * TCK
        other = (end.busy - start.busy) - server - postgres - wrk - (end.own - start.own)
        share = [round(t / max(sum(each), 1), 2) for t in each] if len(each) > 1 else None
        return cls((end.total - start.total) / CORES, server, postgres, wrk, other, share)

    def pct(self, ticks: float) -> float:
        return round(max(0.0, 100 * ticks / self.wall), 1) if self.wall else 0.0


def _run_wrk_process(
    server: Server, traffic: Traffic, duration: float, settings: LoadSettings
) -> tuple[str, float]:
    """Run wrk to its end; returns its output and the CPU seconds it used."""
    env = {
        **os.environ,
        "BENCH_LINES": str(traffic.lines),
        "BENCH_MODE": traffic.mode,
        "BENCH_PATH": traffic.path,
        "BENCH_CYCLE": "1" if traffic.cycle else "0",
        "BENCH_THREADS": str(settings.threads),
    }
    command = [
        processes.wrk(),
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{max(1, round(duration))}s",  # wrk takes whole seconds
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        server.base_url,
    ]
    out_path = server.workdir / "wrk.out"
    with out_path.open("w") as out:
        process = processes.spawn(command, env=env, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        processes.release(process)
    output = out_path.read_text()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed for {traffic.scenario}:\n{output}")
    return output, usage.ru_utime + usage.ru_stime


def _summary(output: str, scenario: str) -> dict[str, Any]:
    """The one "BENCHJSON {...}" line lines.lua prints at the end."""
    match = re.search(r"BENCHJSON (\{.*\})", output)
    if match is None:
        raise RuntimeError(f"wrk printed no summary for {scenario}:\n{output}")
    summary: dict[str, Any] = json.loads(match.group(1))
    return summary


def run_wrk(
    server: Server,
    traffic: Traffic,
    *,
    duration: float,
    settings: LoadSettings,
    sampler: MemorySampler | None = None,
) -> Figure:
    """Load the server with `traffic` for `duration` seconds; the figure of that run."""
    if sampler:
        sampler.phase = traffic.scenario
    pids = server.pids()
    rss_before = sampler.now_kib() if sampler else 0
    database = _database_name(server)
    backends = BackendCpu(database) if database else None
    start = _Cpu.read(server, pids)
    if backends:
        backends.start()
    output, wrk_seconds = _run_wrk_process(server, traffic, duration, settings)
    backend_ticks = backends.stop() if backends else None
    usage = _Usage.between(start, _Cpu.read(server, pids), wrk_seconds)
    time.sleep(1.0)  # requests still in flight when wrk stopped finish before anything else
    rss_after = sampler.now_kib() if sampler else 0
    data = _summary(output, traffic.scenario)
    seconds = data["duration_us"] / 1e6
    requests = data["requests"]
    lat = data["latency_us"]
    return Figure(
        scenario=traffic.scenario,
        path=traffic.path,
        rps=requests / seconds if seconds else 0.0,
        p50_ms=lat["p50"] / 1000,
        p90_ms=lat["p90"] / 1000,
        p99_ms=lat["p99"] / 1000,
        p999_ms=lat["p999"] / 1000,
        max_ms=lat["max"] / 1000,
        requests=requests,
        seconds=round(seconds, 3),
        errors=data["errors"],
        exhausted=data["exhausted"] > 0,
        server_cpu_us_per_request=_per_request_us(usage.server, requests),
        postgres_backend_cpu_us_per_request=(
            None if backend_ticks is None else _per_request_us(backend_ticks, requests)
        ),
        postgres_backends=backends.backends if backends else None,
        load_generator_cpu_pct=usage.pct(usage.wrk),
        postgres_cpu_pct=usage.pct(usage.postgres),
        other_cpu_pct=usage.pct(usage.other),
        rss_kib_before=rss_before,
        rss_kib_after=rss_after,
        worker_cpu_share=usage.worker_share,
    )


def _per_request_us(ticks: float, requests: int) -> float:
    return round(ticks / TCK / max(requests, 1) * 1e6, 1)


def describe(figure: Figure) -> str:
    """One line for the progress log."""
    ratio = f"  ×{figure.ratio:.3f} of {figure.baseline}" if figure.ratio is not None else ""
    bad = figure.errors["status"] + figure.errors["timeout"] + figure.errors["connect"]
    flags = (" ERRORS=" + str(bad) if bad else "") + (" EXHAUSTED" if figure.exhausted else "")
    if figure.worker_cpu_share:
        flags += f" workers {figure.worker_cpu_share}"
    backend = figure.postgres_backend_cpu_us_per_request
    pg = f" + pg {backend:5.0f} µs/req" if backend is not None else ""
    return (
        f"{figure.scenario:<13} {figure.rps:8.0f} rps  p50 {figure.p50_ms:7.2f} ms  "
        f"p99 {figure.p99_ms:7.2f} ms  cpu {figure.server_cpu_us_per_request:6.0f} µs/req"
        f"{pg}{ratio}{flags}  [others {figure.other_cpu_pct:.0f}% cpu]"
    )
