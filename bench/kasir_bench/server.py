"""The server under test: `kasir serve` in benchmark mode, and a sampler of its memory."""

import contextlib
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kasir_bench import processes
from kasir_bench.console import log
from kasir_bench.constants import KASIR, PACKAGE
from kasir_bench.procfs import cmdline, process_tree, rss_kib

READY_WITHIN_SECONDS = 90
GRANIAN_WORKER = re.compile(r" worker-\d+\b")
# Never part of a run's recorded settings: paths, users, secrets, per-run addresses.
PRIVATE_ENV = (
    "PATH",
    "HOME",
    "KASIR_STAFF_TOKENS",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "DATABASE_URL",
    "PUBLIC_BASE_URL",
)


def benchmark_env(database_url: str, base_url: str) -> dict[str, str]:
    """Production defaults except the fake gateway, the benchmark knobs and the create limit."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        DATABASE_URL=database_url,
        DUITKU_ENV="fake",
        KASIR_BENCHMARK_ROUTES="true",
        FAKE_GATEWAY_AUTO_PAY="true",
        # Load comes from one address: the per-client create limit would throttle it.
        RATE_LIMIT_CREATE_PER_MINUTE="0",
        PUBLIC_BASE_URL=base_url,
        KASIR_STAFF_TOKENS=f"bench:{secrets.token_urlsafe(24)}",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def recorded_env() -> dict[str, str]:
    """The server settings a result file records (nothing private, nothing per run)."""
    return {k: v for k, v in benchmark_env("", "").items() if k not in PRIVATE_ENV}


@dataclass
class Server:
    label: str
    database_url: str
    workers: int
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    loop: str | None = None  # None: `kasir serve` as is (uvicorn's auto loop: uvloop)
    http: str | None = None  # None: kasir's HTTP_PARSER setting (bounded httptools by default)
    server: str = "uvicorn"  # or granian (kasir_bench.serve)
    port: int = 0
    process: subprocess.Popen[Any] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**benchmark_env(self.database_url, self.base_url), **self.extra_env}

    def command(self) -> list[str]:
        serve = ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        if self.loop is None and self.http is None and self.server == "uvicorn":
            return [str(KASIR), "serve", *serve]
        options = ["--server", self.server, "--loop", self.loop or "auto"]
        options += ["--http", self.http] if self.http else []
        return [sys.executable, str(PACKAGE / "serve.py"), *options, "--", *serve]

    def start(self) -> None:
        """Start the server and wait until it answers /ready with every worker up."""
        self.port = processes.free_port()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / f"server-{self.label}.log"
        log(f"starting {self.label}: {' '.join(self.command()[1:])} (log {self.log_path.name})")
        with self.log_path.open("wb") as out:
            process = processes.spawn(self.command(), env=self.env(), cwd=self.workdir, stdout=out)
        self.process = process
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server {self.label} exited; see {self.log_path}")
            if self._ready():
                time.sleep(1.0 if self.workers > 1 else 0.2)  # let every worker start
                return
            time.sleep(0.2)
        raise RuntimeError(f"server {self.label} did not become ready; see {self.log_path}")

    def _ready(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            ready = httpx.get(f"{self.base_url}/ready", timeout=2).status_code == 200
            return ready and len(self.pids()) >= self.workers
        return False

    def pids(self) -> list[int]:
        """The serving processes: the one process, or the workers (not the supervisor).

        uvicorn serves one worker in its own process and starts several as multiprocessing
        children; granian always serves from children it titles `... worker-<n>` (its main
        process only watches them)."""
        if self.process is None:
            return []
        tree = process_tree(self.process.pid)
        if self.server == "granian":
            return [p for p in tree if GRANIAN_WORKER.search(cmdline(p))]
        if self.workers == 1:
            return tree
        return [p for p in tree if p != self.process.pid and "spawn_main" in cmdline(p)]

    def all_pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def rss(self) -> dict[int, int]:
        return {pid: rss_kib(pid) for pid in self.all_pids()}

    def stop(self) -> None:
        if self.process is not None:
            processes.stop(self.process)


class MemorySampler(threading.Thread):
    """Samples the resident memory of the server's processes every `interval` seconds."""

    def __init__(self, server: Server, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.samples: list[dict[str, Any]] = []
        self.phase = "start"
        self._halt = threading.Event()
        self._t0 = time.monotonic()

    def run(self) -> None:
        self._t0 = time.monotonic()  # sample times count from the start of sampling
        while not self._halt.is_set():
            rss = self.server.rss()
            self.samples.append(
                {
                    "t": round(time.monotonic() - self._t0, 2),
                    "phase": self.phase,
                    "rss_kib": sum(rss.values()),
                    "per_process_kib": {str(k): v for k, v in rss.items()},
                }
            )
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def now_kib(self) -> int:
        return sum(self.server.rss().values())
