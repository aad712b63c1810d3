"""`make bench`: what kasir costs per request next to the cheapest request the same server answers.

Starts kasir as a real server (`kasir serve`, the production command) with DUITKU_ENV=fake, so
the in-memory gateway stands in for Duitku and the network is not measured, and loads it with
wrk on loopback. Per database it measures, in one server process and one run:

  callback      a valid Duitku callback for a different pending attempt each request (pays it)
  dup_callback  the same callback again for an attempt already settled
  qris          POST /api/v1/payments/qris for a fresh order each request
  get_order     GET /api/v1/orders/{id} with the order's token
  base_form     POST /bench/form: decodes the same form body as the callback, then returns
  base_json     POST /bench/json: decodes the same JSON body as the QRIS request, then returns
  base_get      GET /bench/orders/{id}: parses the same path, then returns

and prints each figure as a ratio to its baseline. Suites: `server` (uvicorn loop/parser and
worker count compared), `sqlite`, `pg` (one worker), `pg2` (two workers), `scale-sqlite` and
`scale-pg` (the callback with 1,000,000 orders, payments and callbacks already stored).
Results: bench/results/<run>.json (and .md); SVG charts in docs/benchmarks/ for full runs.

    .venv/bin/python bench/run.py                 # everything (about 20 minutes)
    .venv/bin/python bench/run.py --quick         # a 2-minute smoke run of the same steps
    .venv/bin/python bench/run.py --suites pg,scale-pg --duration 15

Every process it starts (servers, wrk) is stopped when it ends, also on Ctrl-C.
"""

# ruff: noqa: S603, S607, T201, RUF001, PLR0912, PLR0915 - a CLI tool that runs processes and prints
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import math
import os
import platform
import pwd
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import seed as seeding  # noqa: E402
import svg  # noqa: E402

VENV_BIN = Path(sys.executable).parent
KASIR = VENV_BIN / "kasir"
LUA = BENCH / "lua" / "lines.lua"
RESULTS = BENCH / "results"
CHARTS = ROOT / "docs" / "benchmarks"
FAKE_SIGNING_KEY = "fake-signing-key"  # FakePaymentGateway's default, used in fake mode
MERCHANT_CODE = "DS00001"  # kasir's development merchant code, the fake's in fake mode
WEBHOOK = "/api/v1/webhooks/duitku"
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}
ALL_SUITES = ("server", "sqlite", "pg", "pg2", "scale-sqlite", "scale-pg")
# scenario -> its baseline
BASELINE_OF = {
    "callback": "base_form",
    "dup_callback": "base_form",
    "qris": "base_json",
    "get_order": "base_get",
}
GOALS = {
    "callback_ratio_pg": 0.25,
    "callback_ratio_sqlite": 0.20,
    "dup_callback_ratio": 0.5,
    "callback_p99_ms": 50.0,
    "scale_ratio": 0.9,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# Processes: everything started here is registered and stopped at exit.

_STARTED: list[subprocess.Popen[Any]] = []


def _stop(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # its own process group: the server and workers
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def stop_all() -> None:
    while _STARTED:
        _stop(_STARTED.pop())


def _on_signal(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def ensure_wrk() -> str:
    """wrk from PATH, installed with apt-get (or brew) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing it")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if shutil.which("apt-get"):
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)
    elif shutil.which("brew"):
        subprocess.run(["brew", "install", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "bench: wrk is needed; install it (apt-get install wrk / brew install wrk)"
        )
    return found


def ensure_pip_package(module: str, package: str) -> None:
    """Install a helper package into this venv (only for optional features like --profile)."""
    try:
        __import__(module)
    except ImportError:
        log(f"installing {package} into {VENV_BIN.parent}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                package,
            ],
            check=True,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------
# /proc: CPU and memory of process trees and of the machine


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def cpu_ticks(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


def rss_kib(pid: int) -> int:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cmdline(pid: int) -> str:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    return ""


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def uid_processes(user: str) -> list[int]:
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
    return pids


TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------
# The server under test


@dataclass
class Server:
    label: str
    database_url: str
    workers: int
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    loop: str | None = None  # None: `kasir serve` as is (uvicorn's auto: uvloop + httptools)
    http: str | None = None
    port: int = 0
    process: subprocess.Popen[Any] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(
            DATABASE_URL=self.database_url,
            DUITKU_ENV="fake",
            KASIR_BENCHMARK_ROUTES="true",
            FAKE_GATEWAY_AUTO_PAY="true",
            # Load comes from one address: the per-client create limit would throttle it.
            RATE_LIMIT_CREATE_PER_MINUTE="0",
            PUBLIC_BASE_URL=self.base_url,
            KASIR_STAFF_TOKENS=f"bench:{secrets.token_urlsafe(24)}",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        serve = ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        if self.loop is None and self.http is None:
            return [str(KASIR), "serve", *serve]
        return [
            sys.executable,
            str(BENCH / "serve.py"),
            "--loop",
            self.loop or "auto",
            "--http",
            self.http or "auto",
            "--",
            *serve,
        ]

    def start(self) -> None:
        self.port = free_port()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / f"server-{self.label}.log"
        log(f"starting {self.label}: {' '.join(self.command()[1:])} (log {self.log_path.name})")
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.command(),
                env=self.env(),
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _STARTED.append(self.process)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.label} exited; see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                ready = httpx.get(f"{self.base_url}/ready", timeout=2).status_code == 200
                if ready and len(self.pids()) >= self.workers:
                    time.sleep(1.0 if self.workers > 1 else 0.2)  # let every worker start
                    return
            time.sleep(0.2)
        raise RuntimeError(f"server {self.label} did not become ready; see {self.log_path}")

    def pids(self) -> list[int]:
        """The serving processes: the one process, or uvicorn's workers (not the supervisor)."""
        if self.process is None:
            return []
        tree = process_tree(self.process.pid)
        if self.workers == 1:
            return tree
        return [p for p in tree if p != self.process.pid and "spawn_main" in cmdline(p)]

    def all_pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def rss(self) -> dict[int, int]:
        return {pid: rss_kib(pid) for pid in self.all_pids()}

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            with contextlib.suppress(ValueError):
                _STARTED.remove(self.process)


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


# ---------------------------------------------------------------------------------------------
# Databases


def pg_admin_dsn(pg_url: str) -> str:
    return pg_url.rstrip("/") + "/postgres"


async def _pg_admin(pg_url: str, *statements: str) -> None:
    import asyncpg  # noqa: PLC0415

    for database in ("postgres", "test", "template1"):
        try:
            connection = await asyncpg.connect(pg_url.rstrip("/") + "/" + database, timeout=5)
        except (OSError, asyncpg.PostgresError):
            continue
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()
        return
    raise OSError(f"cannot reach PostgreSQL at {pg_url}")


def _pg_settings(pg_url: str) -> dict[str, str]:
    """The server's version and the settings that bear on commit cost (never changed here)."""

    async def read() -> dict[str, str]:
        import asyncpg  # noqa: PLC0415

        for database in ("postgres", "test", "template1"):
            try:
                connection = await asyncpg.connect(f"{pg_url.rstrip('/')}/{database}", timeout=5)
            except (OSError, asyncpg.PostgresError):
                continue
            try:
                rows = await connection.fetch(
                    "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', "
                    "'synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', "
                    "'commit_delay', 'max_connections')"
                )
                return {r["name"]: r["setting"] for r in rows}
            finally:
                await connection.close()
        return {}

    return asyncio.run(read())


def pg_available(pg_url: str) -> bool:
    try:
        asyncio.run(_pg_admin(pg_url, "SELECT 1"))
    except Exception:
        return False
    return True


@dataclass
class Database:
    kind: str  # sqlite | postgresql
    name: str
    url: str  # kasir DATABASE_URL
    pg_url: str = ""
    path: Path = Path()  # SQLite only

    @classmethod
    def sqlite(cls, workdir: Path, name: str) -> Database:
        path = workdir / f"{name}.db"
        return cls("sqlite", name, f"sqlite+aiosqlite:///{path}", path=path)

    @classmethod
    def postgres(cls, pg_url: str, name: str) -> Database:
        url = pg_url.replace("postgresql://", "postgresql+asyncpg://", 1).rstrip("/") + "/" + name
        return cls("postgresql", name, url, pg_url=pg_url)

    def create(self) -> None:
        if self.kind == "sqlite":
            self.drop()
        else:
            asyncio.run(
                _pg_admin(
                    self.pg_url,
                    f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                    f'CREATE DATABASE "{self.name}"',
                )
            )
        env = {**os.environ, "DATABASE_URL": self.url, "DUITKU_ENV": "fake"}
        # Not from the repository root: a developer's .env there must not reach the bench.
        subprocess.run(
            [str(KASIR), "migrate"], env=env, check=True, capture_output=True, cwd=BENCH / "tmp"
        )

    def drop(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            with contextlib.suppress(Exception):
                asyncio.run(
                    _pg_admin(self.pg_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """A read next to the running server (SQLite WAL readers never block it)."""
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as c:
                return list(c.execute(sql).fetchall())

        async def run() -> list[tuple[Any, ...]]:
            import asyncpg  # noqa: PLC0415

            connection = await asyncpg.connect(self.pg_url.rstrip("/") + "/" + self.name)
            try:
                return [tuple(r) for r in await connection.fetch(sql)]
            finally:
                await connection.close()

        return asyncio.run(run())

    def size_mib(self) -> float:
        if self.kind == "sqlite":
            return (
                sum(
                    Path(f"{self.path}{s}").stat().st_size
                    for s in ("", "-wal")
                    if Path(f"{self.path}{s}").exists()
                )
                / 2**20
            )
        return float(self.query(f"SELECT pg_database_size('{self.name}')")[0][0]) / 2**20

    def inbox_max_id(self) -> int:
        return int(self.query("SELECT coalesce(max(id), 0) FROM notification_inbox")[0][0])

    def inbox_outcomes_after(self, after_id: int) -> dict[str, int]:
        rows = self.query(
            "SELECT coalesce(outcome, verification), count(*) FROM notification_inbox "  # noqa: S608
            f"WHERE id > {int(after_id)} GROUP BY 1"
        )
        return {str(k): int(v) for k, v in rows}

    def payment_count(self, status: str) -> int:
        return int(self.query(f"SELECT count(*) FROM payments WHERE status = '{status}'")[0][0])  # noqa: S608


# ---------------------------------------------------------------------------------------------
# Setup through the API (so the fake gateway in the server knows every attempt)


def sign(amount: int, order_uid: str) -> str:
    message = f"{MERCHANT_CODE}{amount}{order_uid}".encode()
    return hmac.new(FAKE_SIGNING_KEY.encode(), message, hashlib.sha256).hexdigest()


def callback_body(order_uid: str, amount: int, reference: str, n: int) -> str:
    """The form body Duitku POSTs for a paid QRIS transaction (all of its fields)."""
    return urllib.parse.urlencode(
        {
            "merchantCode": MERCHANT_CODE,
            "amount": str(amount),
            "merchantOrderId": order_uid,
            "productDetail": f"Pesanan kasir {n}",
            "additionalParam": "",
            "paymentCode": "SP",
            "resultCode": "00",
            "merchantUserId": "budi@example.test",
            "reference": reference,
            "signature": sign(amount, order_uid),
            "publisherOrderId": f"PUB{n:010d}",
            "spUserHash": "f3c1a7e0b54d4d2c9d0e8a1b2c3d4e5f",
            "settlementDate": "2026-01-02",
            "issuerCode": "93600918",
            "customerName": "BUDI S***",
        }
    )


@dataclass
class PlacedOrder:
    id: int
    token: str
    total: int


@dataclass
class Attempt:
    order: PlacedOrder
    order_uid: str
    amount: int
    reference: str


class Setup:
    """Places orders and starts QRIS attempts through the running server, concurrently."""

    def __init__(self, base_url: str, item_id: int, concurrency: int = 16) -> None:
        self.base_url = base_url
        self.item_id = item_id
        self.concurrency = concurrency

    async def _order(self, client: httpx.AsyncClient) -> PlacedOrder:
        response = await client.post(
            "/api/v1/orders", json={"items": [{"menu_item_id": self.item_id, "quantity": 1}]}
        )
        response.raise_for_status()
        body = response.json()
        return PlacedOrder(body["id"], body["access_token"], body["total"])

    async def _attempt(self, client: httpx.AsyncClient, order: PlacedOrder) -> Attempt:
        response = await client.post(
            "/api/v1/payments/qris",
            headers={"X-Order-Token": order.token},
            json=qris_request(order),
        )
        response.raise_for_status()
        body = response.json()
        return Attempt(order, body["order_uid"], body["amount"], body["transaction_token"])

    async def _many(self, count: int, with_attempt: bool) -> list[Any]:
        results: list[Any] = []
        queue = iter(range(count))
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=60) as client:

            async def worker() -> None:
                for _ in queue:
                    order = await self._order(client)
                    results.append(await self._attempt(client, order) if with_attempt else order)

            await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        return results

    def orders(self, count: int) -> list[PlacedOrder]:
        return asyncio.run(self._many(count, with_attempt=False))

    def attempts(self, count: int) -> list[Attempt]:
        return asyncio.run(self._many(count, with_attempt=True))

    def settle(self, attempt: Attempt) -> str:
        response = httpx.post(
            f"{self.base_url}{WEBHOOK}",
            content=callback_body(attempt.order_uid, attempt.amount, attempt.reference, 0),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
        if response.status_code != 200:
            raise RuntimeError(f"the setup callback failed: {response.status_code} {response.text}")
        outcome: str = response.json()["outcome"]
        return outcome


def qris_request(order: PlacedOrder) -> dict[str, Any]:
    return {"order_id": order.id, "amount": order.total, "customer_details": CUSTOMER}


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def callback_lines(path: Path, attempts: Sequence[Attempt]) -> Path:
    return write_lines(
        path, [callback_body(a.order_uid, a.amount, a.reference, i) for i, a in enumerate(attempts)]
    )


def qris_lines(path: Path, orders: Sequence[PlacedOrder]) -> Path:
    return write_lines(
        path,
        [f"{o.token}\t{json.dumps(qris_request(o), separators=(',', ':'))}" for o in orders],
    )


def get_lines(path: Path, orders: Sequence[PlacedOrder]) -> Path:
    return write_lines(path, [f"{o.token}\t/{o.id}" for o in orders])


# ---------------------------------------------------------------------------------------------
# Load: one wrk run


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
    p99_vs_baseline: float | None = None
    runs_rps: list[float] | None = None
    runs_cpu_us: list[float] | None = None


@dataclass
class LoadSettings:
    duration: float
    warmup: float
    connections: int
    threads: int


_PG_SHARED = ("walwriter", "checkpointer", "background writer")


def _postgres_pids(server: Server) -> list[int]:
    """This server's PostgreSQL backends (by database name) and the shared WAL processes;
    other databases' backends (other people's tests) count as other load."""
    if "postgresql" not in server.database_url:
        return []
    database = server.database_url.rsplit("/", 1)[1]
    return [
        pid
        for pid in uid_processes("postgres")
        if f" {database} " in (line := cmdline(pid)) or any(s in line for s in _PG_SHARED)
    ]


def run_wrk(
    server: Server,
    scenario: str,
    path: str,
    lines: Path,
    mode: str,
    *,
    cycle: bool,
    duration: float,
    settings: LoadSettings,
    sampler: MemorySampler | None = None,
) -> Figure:
    env = {
        **os.environ,
        "BENCH_LINES": str(lines),
        "BENCH_MODE": mode,
        "BENCH_PATH": path,
        "BENCH_CYCLE": "1" if cycle else "0",
        "BENCH_THREADS": str(settings.threads),
    }
    command = [
        "wrk",
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{max(1, round(duration))}s",  # wrk takes whole seconds
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        server.base_url,
    ]
    if sampler:
        sampler.phase = scenario
    pids = server.pids()
    pg_pids = _postgres_pids(server)
    rss_before = sampler.now_kib() if sampler else 0
    busy0, total0 = machine_busy_ticks()
    server0 = cpu_ticks(pids)
    pg0 = {pid: cpu_ticks([pid]) for pid in pg_pids}
    each0 = [cpu_ticks([pid]) for pid in pids]
    own0 = cpu_ticks([os.getpid()])
    out_path = server.workdir / "wrk.out"
    with out_path.open("w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        _STARTED.append(process)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        _STARTED.remove(process)
    busy1, total1 = machine_busy_ticks()
    server1 = cpu_ticks(pids)
    # PostgreSQL backends come and go with the pool: count those alive at the end, from
    # their start (a backend that ended during the run is missed, never counted negative).
    pg_ticks = sum(cpu_ticks([pid]) - pg0.get(pid, 0) for pid in _postgres_pids(server))
    each = [cpu_ticks([pid]) - before for pid, before in zip(pids, each0, strict=True)]
    own1 = cpu_ticks([os.getpid()])
    time.sleep(1.0)  # requests still in flight when wrk stopped finish before anything else
    rss_after = sampler.now_kib() if sampler else 0
    output = out_path.read_text()
    match = re.search(r"BENCHJSON (\{.*\})", output)
    if process.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed for {scenario}:\n{output}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    requests = data["requests"]
    wall_ticks = (total1 - total0) / CORES  # elapsed ticks of one CPU
    wrk_ticks = (usage.ru_utime + usage.ru_stime) * TCK
    server_ticks = server1 - server0
    other = (busy1 - busy0) - server_ticks - pg_ticks - wrk_ticks - (own1 - own0)
    lat = data["latency_us"]
    return Figure(
        scenario=scenario,
        path=path,
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
        server_cpu_us_per_request=round(server_ticks / TCK / max(requests, 1) * 1e6, 1),
        load_generator_cpu_pct=round(100 * wrk_ticks / wall_ticks, 1) if wall_ticks else 0.0,
        postgres_cpu_pct=round(100 * pg_ticks / wall_ticks, 1) if wall_ticks else 0.0,
        other_cpu_pct=round(max(0.0, 100 * other / wall_ticks), 1) if wall_ticks else 0.0,
        rss_kib_before=rss_before,
        rss_kib_after=rss_after,
        worker_cpu_share=(
            [round(t / max(sum(each), 1), 2) for t in each] if len(pids) > 1 else None
        ),
    )


def describe(figure: Figure) -> str:
    ratio = f"  ×{figure.ratio:.3f} of {figure.baseline}" if figure.ratio is not None else ""
    bad = figure.errors["status"] + figure.errors["timeout"] + figure.errors["connect"]
    flags = (" ERRORS=" + str(bad) if bad else "") + (" EXHAUSTED" if figure.exhausted else "")
    if figure.worker_cpu_share:
        flags += f" workers {figure.worker_cpu_share}"
    return (
        f"{figure.scenario:<13} {figure.rps:8.0f} rps  p50 {figure.p50_ms:7.2f} ms  "
        f"p99 {figure.p99_ms:7.2f} ms  cpu {figure.server_cpu_us_per_request:6.0f} µs/req"
        f"{ratio}{flags}  [others {figure.other_cpu_pct:.0f}% cpu]"
    )


# ---------------------------------------------------------------------------------------------
# Suites


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


def _prepare(run: Run, database: Database, rows: int) -> dict[str, Any]:
    log(f"{database.name}: creating ({database.kind}) and seeding {rows:,} orders")
    database.create()
    report = seeding.seed(database.url, rows, run.menu)
    size = database.size_mib()
    log(
        f"{database.name}: seeded {report.orders:,} orders, {report.payments:,} payments, "
        f"{report.inbox:,} inbox rows in {report.seconds:.1f} s ({size:.0f} MiB)"
    )
    return {**asdict(report), "database_mib": round(size, 1)}


def _first_settled(setup: Setup) -> Attempt:
    attempt = setup.attempts(1)[0]
    outcome = setup.settle(attempt)
    if outcome != "order_paid":
        raise RuntimeError(f"the setup callback was not applied: {outcome}")
    return attempt


def _size_for(rate: float, settings: LoadSettings, cap: int = 150_000) -> int:
    return min(cap, math.ceil(max(rate, 20.0) * settings.duration * 1.5) + 200)


def profile_summary(raw: Path, top: int = 25) -> dict[str, Any]:
    """Where the server's samples went (py-spy raw format: one `frames count` line per stack):
    the share per package of the innermost frame, and the functions seen in most samples."""
    if not raw.exists():
        return {}
    by_package: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        total += count
        frames = stack.split(";")
        leaf = frames[-1]
        match = re.search(r"\((.*?):\d+\)", leaf)
        path = match.group(1) if match else "<native>"
        package = (
            "idle (event loop waiting)"
            if "Runner.run" in leaf or not leaf
            else (path.split("/")[0] if "/" in path else path)
        )
        if package in ("entrypoints", "application", "adapters", "domain"):
            package = f"kasir {package}"
        by_package[package] = by_package.get(package, 0) + count
        for name in {
            f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0] + ")" for f in frames
        }:
            inclusive[name] = inclusive.get(name, 0) + count

    def share(counts: dict[str, int]) -> dict[str, float]:
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
        return {k: round(100 * v / total, 1) for k, v in ranked}

    return {
        "samples": total,
        "by_package_pct": share(by_package),
        "inclusive_pct": share(inclusive),
    }


def _profile(server: Server, seconds: float, out: Path) -> subprocess.Popen[Any] | None:
    spy = VENV_BIN / "py-spy"
    if not spy.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"], check=True)
    pid = server.pids()[0]
    process = subprocess.Popen(
        [
            str(spy),
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(seconds)),
            "-r",
            "250",
            "-f",
            "raw",
            "--nonblocking",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _STARTED.append(process)
    return process


def _warm_up(
    server: Server,
    setup: Setup,
    work: Path,
    settings: LoadSettings,
    timings: dict[str, float],
    *,
    qris: bool,
) -> Path:
    """Warm the server (discarded runs: connections, statement caches, first requests) and
    measure the pace of the scenarios that use each prepared request once, on a small batch,
    so the setup prepares enough for one measured run and not much more. Returns the lines
    of the duplicate callback (an attempt settled here)."""
    settled = _first_settled(setup)
    dup = callback_lines(work / "dup.lines", [settled])
    get_warm = get_lines(work / "get_warm.lines", [settled.order])
    for scenario, path, lines, mode in (
        ("warm_form", "/bench/form", dup, "form"),
        ("warm_get", "/api/v1/orders", get_warm, "get"),
        ("warm_dup", WEBHOOK, dup, "form"),
    ):
        warm = run_wrk(
            server,
            scenario,
            path,
            lines,
            mode,
            cycle=True,
            duration=settings.warmup,
            settings=settings,
        )
        timings[f"{scenario}_rps"] = round(warm.rps, 1)
    batch = max(50, int(timings["warm_dup_rps"] * settings.warmup * 0.6))
    probes = [("warm_callback", WEBHOOK, "form")]
    if qris:
        probes.append(("warm_qris", "/api/v1/payments/qris", "json"))
    for scenario, path, mode in probes:
        if mode == "form":
            lines = callback_lines(work / f"{scenario}.lines", setup.attempts(batch))
        else:
            lines = qris_lines(work / f"{scenario}.lines", setup.orders(batch))
        warm = run_wrk(
            server,
            scenario,
            path,
            lines,
            mode,
            cycle=False,
            duration=settings.warmup,
            settings=settings,
        )
        timings[f"{scenario}_rps"] = round(warm.rps, 1)
    return dup


def full_suite(run: Run, name: str, database: Database, workers: int) -> dict[str, Any]:
    settings = run.settings
    work = run.workdir / name
    work.mkdir(parents=True, exist_ok=True)
    seeded = _prepare(run, database, run.base_rows)
    extra = {"FAKE_GATEWAY_AUTO_PAY_AMOUNT": str(run.item_price)} if workers > 1 else {}
    server = Server(name, database.url, workers, work, extra_env=extra)
    server.start()
    sampler = MemorySampler(server)
    sampler.start()
    figures: dict[str, Figure] = {}
    timings: dict[str, float] = {}
    profiles: dict[str, Any] = {}
    repeat_rss: list[int] | None = None
    try:
        setup = Setup(server.base_url, item_id=1)
        started = time.monotonic()
        sampler.phase = "warmup"
        dup = _warm_up(server, setup, work, settings, timings, qris=True)
        # Enough fresh attempts and orders for one run at the pace the warm-up measured.
        count = _size_for(timings["warm_callback_rps"], settings)
        orders = _size_for(timings["warm_qris_rps"], settings)
        sampler.phase = "setup"
        log(f"{name}: creating {count:,} QRIS attempts and {orders:,} orders through the API")
        t = time.monotonic()
        attempts = setup.attempts(count)
        fresh_orders = setup.orders(orders)
        timings["setup_seconds"] = round(time.monotonic() - t, 1)
        timings["setup_requests_per_second"] = round(
            (2 * count + orders) / timings["setup_seconds"], 1
        )
        callbacks = callback_lines(work / "callback.lines", attempts)
        qris = qris_lines(work / "qris.lines", fresh_orders)
        gets = get_lines(work / "get.lines", [a.order for a in attempts])

        def measure(scenario: str, path: str, lines: Path, mode: str, cycle: bool) -> Figure:
            before = database.inbox_max_id() if mode == "form" and path == WEBHOOK else None
            spy = None
            if run.profile and scenario in ("callback", "qris", "dup_callback"):
                spy = _profile(server, settings.duration - 1, work / f"profile-{scenario}.raw")
            figure = run_wrk(
                server,
                scenario,
                path,
                lines,
                mode,
                cycle=cycle,
                duration=settings.duration,
                settings=settings,
                sampler=sampler,
            )
            # Two workers but (nearly) every connection on one of them: run it again, when
            # the scenario can be repeated (those using each request once cannot).
            retries = 0
            while cycle and retries < 2 and max(figure.worker_cpu_share or [0]) > 0.7:
                retries += 1
                log(f"{name}: {scenario} ran unbalanced {figure.worker_cpu_share}: again")
                figure = run_wrk(
                    server,
                    scenario,
                    path,
                    lines,
                    mode,
                    cycle=cycle,
                    duration=settings.duration,
                    settings=settings,
                    sampler=sampler,
                )
                figure.retries = retries
            if spy is not None:
                spy.wait(30)
                _STARTED.remove(spy)
                profiles[scenario] = profile_summary(work / f"profile-{scenario}.raw")
            if before is not None:
                figure.outcomes = database.inbox_outcomes_after(before)
            figures[scenario] = figure
            log(f"{name}: {describe(figure)}")
            return figure

        measure("base_form", "/bench/form", dup, "form", cycle=True)
        measure("callback", WEBHOOK, callbacks, "form", cycle=False)
        measure("dup_callback", WEBHOOK, dup, "form", cycle=True)
        measure("base_json", "/bench/json", qris, "json", cycle=True)
        pending_before = database.payment_count("pending")
        qris_figure = measure("qris", "/api/v1/payments/qris", qris, "json", cycle=False)
        qris_figure.outcomes = {
            "attempts_created": database.payment_count("pending") - pending_before
        }
        measure("base_get", "/bench/orders", gets, "get", cycle=True)
        measure("get_order", "/api/v1/orders", gets, "get", cycle=True)
        # Memory: the first pass over the data fills caches (SQLite page caches, statement
        # caches, pools); a second pass of the same steady scenarios must not grow any more.
        repeat_before = sampler.now_kib()
        for scenario, path, lines, mode in (
            ("repeat_dup_callback", WEBHOOK, dup, "form"),
            ("repeat_get_order", "/api/v1/orders", gets, "get"),
        ):
            run_wrk(
                server,
                scenario,
                path,
                lines,
                mode,
                cycle=True,
                duration=max(3.0, settings.duration / 2),
                settings=settings,
                sampler=sampler,
            )
        repeat_rss = [repeat_before, sampler.now_kib()]
        timings["suite_seconds"] = round(time.monotonic() - started, 1)
    finally:
        sampler.phase = "end"
        time.sleep(1.0)
        sampler.stop()
        final_rss = server.rss()
        server.stop()
        if not run.keep:
            database.drop()
    _add_ratios(figures)
    return {
        "name": name,
        "database": database.kind,
        "workers": workers,
        "server_command": f"kasir serve --workers {workers} (uvicorn auto: uvloop + httptools)",
        "seeded": seeded,
        "timings": timings,
        "figures": {k: asdict(v) for k, v in figures.items()},
        "memory": _memory_report(sampler, final_rss, figures, repeat_rss),
        "log": str(server.log_path),
        "profiles": profiles,
    }


def _add_ratios(figures: dict[str, Figure]) -> None:
    for scenario, baseline in BASELINE_OF.items():
        if scenario in figures and baseline in figures and figures[baseline].rps:
            figure = figures[scenario]
            figure.baseline = baseline
            figure.ratio = round(figure.rps / figures[baseline].rps, 4)
            if figures[baseline].p99_ms:
                figure.p99_vs_baseline = round(figure.p99_ms / figures[baseline].p99_ms, 2)


def _memory_report(
    sampler: MemorySampler,
    final_rss: dict[int, int],
    figures: dict[str, Figure],
    repeat: Sequence[int] | None = None,
) -> dict[str, Any]:
    samples = sampler.samples
    measured = [s for s in samples if s["phase"] in figures]
    per_scenario = {
        name: {
            "rss_mib_before": round(f.rss_kib_before / 1024, 1),
            "rss_mib_after": round(f.rss_kib_after / 1024, 1),
            "delta_mib": round((f.rss_kib_after - f.rss_kib_before) / 1024, 1),
        }
        for name, f in figures.items()
    }
    # Over the first pass: from the end of the first measured scenario to the end of the last.
    order = list(figures)
    first = figures[order[0]].rss_kib_after if order else 0
    last = figures[order[-1]].rss_kib_after if order else 0
    growth_mib = (last - first) / 1024
    # The verdict: a second pass of the steady scenarios (nothing is kept per request there).
    repeat_mib = (repeat[1] - repeat[0]) / 1024 if repeat else growth_mib
    peak = max((s["rss_kib"] for s in measured), default=0)
    return {
        "final_rss_mib": round(sum(final_rss.values()) / 1024, 1),
        "final_rss_mib_per_process": {
            f"{pid} {cmdline(pid)[:60]}": round(kib / 1024, 1) for pid, kib in final_rss.items()
        },
        "peak_rss_mib": round(peak / 1024, 1),
        "per_scenario": per_scenario,
        "first_pass_growth_mib": round(growth_mib, 1),
        "steady_growth_mib": round(repeat_mib, 1),
        # A few MiB come and go with SQLite's overflow connections (a thread and a page cache
        # each): growth counts when the repeat added more than that.
        "grew": repeat_mib > max(4.0, 0.03 * last / 1024),
        "samples": [{"t": s["t"], "phase": s["phase"], "rss_kib": s["rss_kib"]} for s in samples],
    }


SERVER_VARIANTS = (
    # (label, workers, loop, http); None, None = `kasir serve` unchanged (uvicorn auto)
    ("uvloop+httptools, 1 worker (kasir serve default)", 1, None, None),
    ("uvloop+h11, 1 worker", 1, "uvloop", "h11"),
    ("asyncio+httptools, 1 worker", 1, "asyncio", "httptools"),
    ("uvloop+httptools, 2 workers", 2, None, None),
)


def _median_figure(runs: Sequence[Figure]) -> Figure:
    """The run with the median rate (its own latencies and CPU), with every run's rate kept."""
    ordered = sorted(runs, key=lambda f: f.rps)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.runs_rps = [round(f.rps, 1) for f in runs]
    chosen.runs_cpu_us = [f.server_cpu_us_per_request for f in runs]
    return chosen


def server_suite(run: Run, database: Database, rounds: int = 2) -> dict[str, Any]:
    """Every server variant up at once on one database; the bare form route, the duplicate
    callback (kasir's shortest database path) and an order read, in interleaved rounds so that
    other load on the machine hits every variant alike. The median round is reported."""
    settings = run.settings
    work = run.workdir / "server"
    work.mkdir(parents=True, exist_ok=True)
    seeded = _prepare(run, database, run.base_rows)
    short = LoadSettings(
        max(3.0, round(settings.duration * 0.5)),
        settings.warmup,
        settings.connections,
        settings.threads,
    )
    servers: list[tuple[str, int, str | None, str | None, Server]] = []
    runs: dict[tuple[int, str], list[Figure]] = {}
    try:
        for index, (label, workers, loop, http) in enumerate(SERVER_VARIANTS):
            extra = {"FAKE_GATEWAY_AUTO_PAY_AMOUNT": str(run.item_price)} if workers > 1 else {}
            server = Server(f"server-{index}", database.url, workers, work, extra, loop, http)
            server.start()
            servers.append((label, workers, loop, http, server))
        settled = _first_settled(Setup(servers[0][4].base_url, item_id=1))
        dup = callback_lines(work / "dup.lines", [settled])
        get = get_lines(work / "get.lines", [settled.order])
        scenarios = (
            ("base_form", "/bench/form", dup, "form"),
            ("dup_callback", WEBHOOK, dup, "form"),
            ("get_order", "/api/v1/orders", get, "get"),
        )
        for *_, server in servers:
            for scenario, path, lines, mode in scenarios:
                run_wrk(
                    server,
                    f"warm_{scenario}",
                    path,
                    lines,
                    mode,
                    cycle=True,
                    duration=settings.warmup,
                    settings=settings,
                )
        for round_ in range(rounds):
            for index, (label, *_, server) in enumerate(servers):
                for scenario, path, lines, mode in scenarios:
                    figure = run_wrk(
                        server,
                        scenario,
                        path,
                        lines,
                        mode,
                        cycle=True,
                        duration=short.duration,
                        settings=short,
                    )
                    runs.setdefault((index, scenario), []).append(figure)
                    log(f"server [{label}] round {round_ + 1}: {describe(figure)}")
    finally:
        for *_, server in servers:
            server.stop()
        if not run.keep:
            database.drop()
    variants = []
    for index, (label, workers, loop, http, _) in enumerate(servers):
        figures = {
            scenario: _median_figure(runs[(index, scenario)])
            for scenario, *_ in scenarios
            if (index, scenario) in runs
        }
        _add_ratios(figures)
        variants.append(
            {
                "label": label,
                "workers": workers,
                "loop": loop or "auto (uvloop)",
                "http": http or "auto (httptools)",
                "figures": {k: asdict(v) for k, v in figures.items()},
            }
        )
    return {
        "database": database.kind,
        "seeded": seeded,
        "duration": short.duration,
        "rounds": rounds,
        "variants": variants,
    }


def scale_suite(
    run: Run, name: str, small_db: Database, large_db: Database, rounds: int = 2
) -> dict[str, Any]:
    """The callback on a database holding `base_rows` orders and on one holding `scale_rows`,
    each with its own server, run alternately (small, large, small, large...) so that other
    load on the machine hits both alike. The median round of each is reported."""
    settings = run.settings
    work = run.workdir / name
    work.mkdir(parents=True, exist_ok=True)
    sizes = {"small": (small_db, run.base_rows), "large": (large_db, run.scale_rows)}
    seeded = {size: _prepare(run, db, rows) for size, (db, rows) in sizes.items()}
    servers: dict[str, Server] = {}
    samplers: dict[str, MemorySampler] = {}
    runs: dict[str, list[Figure]] = {"small": [], "large": []}
    timings: dict[str, Any] = {}
    try:
        lines: dict[str, list[Path]] = {}
        setups: dict[str, Setup] = {}
        for size, (db, _) in sizes.items():
            server = Server(f"{name}-{size}", db.url, 1, work / size)
            server.start()
            servers[size] = server
            samplers[size] = MemorySampler(server)
            samplers[size].start()
            setups[size] = Setup(server.base_url, item_id=1)
            timings[size] = {}
            _warm_up(server, setups[size], work / size, settings, timings[size], qris=False)
        # Both get enough for the faster of the two: a run must never run out of attempts
        # (wrk would then count the idle rest of the run and understate the rate).
        pace = max(t["warm_callback_rps"] for t in timings.values())
        count = _size_for(pace, settings)
        for size, setup in setups.items():
            log(f"{name} ({size}): creating {rounds} × {count:,} QRIS attempts through the API")
            t = time.monotonic()
            attempts = setup.attempts(rounds * count)
            timings[size]["setup_seconds"] = round(time.monotonic() - t, 1)
            lines[size] = [
                callback_lines(work / size / f"callback-{r}.lines", attempts[r::rounds])
                for r in range(rounds)
            ]
        for round_ in range(rounds):
            for size in ("small", "large"):
                db = sizes[size][0]
                before = db.inbox_max_id()
                figure = run_wrk(
                    servers[size],
                    "callback",
                    WEBHOOK,
                    lines[size][round_],
                    "form",
                    cycle=False,
                    duration=settings.duration,
                    settings=settings,
                    sampler=samplers[size],
                )
                figure.outcomes = db.inbox_outcomes_after(before)
                runs[size].append(figure)
                log(
                    f"{name} ({size}, {sizes[size][1]:,} rows) round {round_ + 1}: "
                    f"{describe(figure)}"
                )
    finally:
        final_rss = {}
        for size, server in servers.items():
            samplers[size].stop()
            final_rss[size] = server.rss()
            server.stop()
        if not run.keep:
            for db, _ in sizes.values():
                db.drop()
    figures = {size: _median_figure(r) for size, r in runs.items() if r}
    return {
        "name": name,
        "database": small_db.kind,
        "workers": 1,
        "rounds": rounds,
        "seeded": seeded,
        "timings": timings,
        "figures": {k: asdict(v) for k, v in figures.items()},
        "final_rss_mib": {k: round(sum(v.values()) / 1024, 1) for k, v in final_rss.items()},
    }


# ---------------------------------------------------------------------------------------------
# Report


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024

    def version(module: str) -> str:
        try:
            from importlib.metadata import version as v  # noqa: PLC0415

            return v(module)
        except Exception:
            return "?"

    wrk_version = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, check=False
    ).stdout.split("\n")[0]
    return {
        "hostname": socket.gethostname(),
        "cpu": cpu,
        "cores": CORES,
        "memory_mib": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": {
            name: version(name)
            for name in (
                "litestar",
                "uvicorn",
                "uvloop",
                "httptools",
                "msgspec",
                "sqlalchemy",
                "asyncpg",
                "aiosqlite",
                "dependency-injector",
            )
        },
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version.strip(),
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def _ratio_str(value: float | None) -> str:
    return f"{value:.3f}×" if value is not None else "–"


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# kasir benchmark {result['run_id']}", ""]
    m = result["machine"]
    lines += [
        f"{m['cpu']}, {m['cores']} cores, {m['memory_mib']} MiB; Python {m['python']}; "
        f"wrk -t{result['settings']['threads']} -c{result['settings']['connections']} "
        f"-d{result['settings']['duration']}s on the same machine.",
        "",
    ]
    for name, suite in result["suites"].items():
        if name == "server" or name.startswith("scale") or "figures" not in suite:
            continue
        lines += [
            f"## {name} ({suite['database']}, {suite['workers']} worker(s), "
            f"{suite['seeded']['orders']:,} orders stored)",
            "",
            "| scenario | rps | p50 ms | p99 ms | server CPU µs/req | vs baseline | others' CPU |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for scenario, f in suite["figures"].items():
            flags = " (ran out of prepared requests: a lower bound)" if f["exhausted"] else ""
            bad = f["errors"]["status"] + f["errors"]["timeout"]
            flags += f" ({bad} errors)" if bad else ""
            share = f.get("worker_cpu_share") or []
            flags += f" (workers unbalanced: {share})" if share and max(share) > 0.7 else ""
            lines.append(
                f"| {scenario}{flags} | {f['rps']:.0f} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} | "
                f"{f['server_cpu_us_per_request']:.0f} | {_ratio_str(f['ratio'])} | "
                f"{f['other_cpu_pct']:.0f}% |"
            )
        mem = suite["memory"]
        lines += [
            "",
            f"Memory: {mem['final_rss_mib']} MiB resident after the run "
            f"(peak {mem['peak_rss_mib']}), steady growth {mem['steady_growth_mib']} MiB → "
            f"{'GREW' if mem['grew'] else 'no growth'}.",
            "",
        ]
    if "server" in result["suites"]:
        lines += [
            "## Server settings compared (PostgreSQL)",
            "",
            "| variant | base_form rps | dup_callback rps | get_order rps | dup p99 ms | "
            "dup CPU µs/req |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for v in result["suites"]["server"]["variants"]:
            f = v["figures"]
            lines.append(
                f"| {v['label']} | {f['base_form']['rps']:.0f} | {f['dup_callback']['rps']:.0f} | "
                f"{f['get_order']['rps']:.0f} | {f['dup_callback']['p99_ms']:.1f} | "
                f"{f['dup_callback']['server_cpu_us_per_request']:.0f} |"
            )
        lines.append("")
    if result.get("scale"):
        lines += [
            "## Scale: the callback with few vs many stored orders (median of alternating runs)",
            "",
            "| database | rows | rps (each run) | rows | rps (each run) | rps ratio | CPU ratio |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for db, s in result["scale"].items():
            lines.append(
                f"| {db} | {s['small_rows']:,} | {s['small_rps']:.0f} ({s['small_runs_rps']}) | "
                f"{s['large_rows']:,} | {s['large_rps']:.0f} ({s['large_runs_rps']}) | "
                f"{s['ratio']:.3f} | {s['cpu_ratio']:.3f} |"
            )
        lines.append("")
    for suite, error in result.get("failed", {}).items():
        lines += [f"## {suite}: FAILED", "", "```", error.strip()[-2000:], "```", ""]
    if result.get("goals"):
        lines += ["## Goals", ""]
        for goal in result["goals"]:
            lines.append(
                f"- {goal['goal']}: {goal['value']} → {'met' if goal['met'] else 'NOT met'}"
            )
        lines.append("")
    return "\n".join(lines)


def evaluate(result: dict[str, Any]) -> None:
    suites = result["suites"]
    goals = []

    def add(goal: str, value: float | None, target: float, higher: bool = True) -> None:
        if value is None:
            return
        met = value >= target if higher else value <= target
        goals.append({"goal": goal, "value": round(value, 3), "target": target, "met": met})

    for name, target in (
        ("pg", GOALS["callback_ratio_pg"]),
        ("pg2", GOALS["callback_ratio_pg"]),
        ("sqlite", GOALS["callback_ratio_sqlite"]),
    ):
        figures = suites.get(name, {}).get("figures", {})
        if "callback" in figures:
            add(f"{name}: callback ≥ {target}× base_form", figures["callback"]["ratio"], target)
            add(
                f"{name}: callback p99 ≤ {GOALS['callback_p99_ms']} ms at "
                f"{result['settings']['connections']} connections",
                figures["callback"]["p99_ms"],
                GOALS["callback_p99_ms"],
                higher=False,
            )
        if "dup_callback" in figures:
            add(
                f"{name}: duplicate callback ≥ {GOALS['dup_callback_ratio']}× base_form",
                figures["dup_callback"]["ratio"],
                GOALS["dup_callback_ratio"],
            )
        if "memory" in suites.get(name, {}):
            goals.append(
                {
                    "goal": f"{name}: no memory growth",
                    "value": suites[name]["memory"]["steady_growth_mib"],
                    "target": 0,
                    "met": not suites[name]["memory"]["grew"],
                }
            )
    scale = {}
    for db, suite_name in (("sqlite", "scale-sqlite"), ("postgresql", "scale-pg")):
        figures = suites.get(suite_name, {}).get("figures", {})
        if "small" in figures and "large" in figures:
            small, large = figures["small"], figures["large"]
            seeded = suites[suite_name]["seeded"]
            scale[db] = {
                "small_rows": seeded["small"]["orders"],
                "large_rows": seeded["large"]["orders"],
                "small_rps": small["rps"],
                "large_rps": large["rps"],
                "small_runs_rps": small["runs_rps"],
                "large_runs_rps": large["runs_rps"],
                "ratio": round(large["rps"] / small["rps"], 3),
                # CPU per request is far less sensitive to other load on the machine
                "cpu_ratio": round(
                    small["server_cpu_us_per_request"] / large["server_cpu_us_per_request"], 3
                ),
                "small_p99_ms": small["p99_ms"],
                "large_p99_ms": large["p99_ms"],
                "run_id": suites[suite_name].get("run_id", result["run_id"]),
            }
            add(
                f"{db}: callback at {scale[db]['large_rows']:,} rows ≥ {GOALS['scale_ratio']}× "
                f"of {scale[db]['small_rows']:,} (rps)",
                scale[db]["ratio"],
                GOALS["scale_ratio"],
            )
    result["scale"] = scale
    result["goals"] = goals


def charts(result: dict[str, Any], directory: Path) -> list[Path]:
    """One chart per database suite (every scenario against its baseline: rps and p99), one per
    scenario across the databases, the server comparison, the scale and the memory."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    suites = {
        k: v for k, v in result["suites"].items() if "figures" in v and not k.startswith("scale")
    }
    scenarios = ["callback", "dup_callback", "qris", "get_order"]
    titles = {
        "callback": "callback (pays a pending attempt)",
        "dup_callback": "duplicate callback",
        "qris": "POST /payments/qris",
        "get_order": "GET /orders/{id}",
    }
    for name, suite in suites.items():
        f = suite["figures"]
        present = [s for s in scenarios if s in f]
        cats = [titles[s] for s in present]
        panels = [
            (
                f"{name}: requests/second ({suite['database']}, {suite['workers']} worker(s))",
                cats,
                [
                    svg.Series("kasir", [f[s]["rps"] for s in present], svg.COLORS["kasir"]),
                    svg.Series(
                        "bare baseline route",
                        [f[f[s]["baseline"]]["rps"] for s in present],
                        svg.COLORS["baseline"],
                    ),
                ],
                "rps",
                [f"bench/results/{suite.get('run_id', result['run_id'])}.json"]
                + [
                    f"{titles[s]}: {_ratio_str(f[s]['ratio'])} of {f[s]['baseline']}"
                    for s in present
                ],
            ),
            (
                f"{name}: p99 latency at {result['settings']['connections']} connections",
                cats,
                [
                    svg.Series("kasir", [f[s]["p99_ms"] for s in present], svg.COLORS["kasir"]),
                    svg.Series(
                        "bare baseline route",
                        [f[f[s]["baseline"]]["p99_ms"] for s in present],
                        svg.COLORS["baseline"],
                    ),
                ],
                "ms",
                [],
            ),
        ]
        path = directory / f"suite-{name}.svg"
        path.write_text(svg.chart(panels))
        written.append(path)
    for scenario in scenarios:
        names = [n for n, s in suites.items() if scenario in s["figures"]]
        if not names:
            continue
        labels = [
            f"{n} ({suites[n]['database']}, {suites[n]['workers']}w, "
            f"run {suites[n].get('run_id', result['run_id'])})"
            for n in names
        ]
        fig = [suites[n]["figures"][scenario] for n in names]
        base = [suites[n]["figures"][f["baseline"]] for n, f in zip(names, fig, strict=True)]
        panels = [
            (
                f"{titles[scenario]}: requests/second",
                labels,
                [
                    svg.Series("kasir", [f["rps"] for f in fig], svg.COLORS["kasir"]),
                    svg.Series(
                        f"baseline ({fig[0]['baseline']})",
                        [b["rps"] for b in base],
                        svg.COLORS["baseline"],
                    ),
                ],
                "rps",
                [
                    f"{label}: {_ratio_str(f['ratio'])}"
                    for label, f in zip(labels, fig, strict=True)
                ],
            ),
            (
                f"{titles[scenario]}: p99 latency",
                labels,
                [
                    svg.Series("kasir", [f["p99_ms"] for f in fig], svg.COLORS["kasir"]),
                    svg.Series("baseline", [b["p99_ms"] for b in base], svg.COLORS["baseline"]),
                ],
                "ms",
                [],
            ),
        ]
        path = directory / f"scenario-{scenario}.svg"
        path.write_text(svg.chart(panels))
        written.append(path)
    server = result["suites"].get("server")
    if server:
        labels = [v["label"] for v in server["variants"]]
        panels = [
            (
                "Server settings (PostgreSQL): requests/second",
                labels,
                [
                    svg.Series(
                        "base_form",
                        [v["figures"]["base_form"]["rps"] for v in server["variants"]],
                        svg.COLORS["baseline"],
                    ),
                    svg.Series(
                        "dup_callback",
                        [v["figures"]["dup_callback"]["rps"] for v in server["variants"]],
                        svg.COLORS["kasir"],
                    ),
                    svg.Series(
                        "get_order",
                        [v["figures"]["get_order"]["rps"] for v in server["variants"]],
                        svg.COLORS["extra"],
                    ),
                ],
                "rps",
                [
                    f"bench/results/{server.get('run_id', result['run_id'])}.json: all variants "
                    f"up at once, {server.get('rounds', 1)} interleaved rounds, median",
                ],
            ),
        ]
        path = directory / "server-settings.svg"
        path.write_text(svg.chart(panels))
        written.append(path)
    if result.get("scale"):
        dbs = list(result["scale"])
        panels = [
            (
                "Callback rps with 1,000 vs 1,000,000 stored orders",
                dbs,
                [
                    svg.Series(
                        f"{result['settings']['base_rows']:,} rows",
                        [result["scale"][d]["small_rps"] for d in dbs],
                        svg.COLORS["kasir"],
                    ),
                    svg.Series(
                        f"{result['settings']['scale_rows']:,} rows",
                        [result["scale"][d]["large_rps"] for d in dbs],
                        svg.COLORS["extra"],
                    ),
                ],
                "rps",
                [
                    f"{d} (run {result['scale'][d]['run_id']}): rps ratio "
                    f"{result['scale'][d]['ratio']:.3f}, CPU-per-request ratio "
                    f"{result['scale'][d]['cpu_ratio']:.3f} (medians of alternating runs)"
                    for d in dbs
                ],
            ),
            (
                "Callback p99 latency",
                dbs,
                [
                    svg.Series(
                        f"{result['settings']['base_rows']:,} rows",
                        [result["scale"][d]["small_p99_ms"] for d in dbs],
                        svg.COLORS["kasir"],
                    ),
                    svg.Series(
                        f"{result['settings']['scale_rows']:,} rows",
                        [result["scale"][d]["large_p99_ms"] for d in dbs],
                        svg.COLORS["extra"],
                    ),
                ],
                "ms",
                [],
            ),
        ]
        path = directory / "scale.svg"
        path.write_text(svg.chart(panels))
        written.append(path)
    memory = {n: s["memory"] for n, s in result["suites"].items() if "memory" in s}
    if memory:
        names = list(memory)
        panels = [
            (
                "Server resident memory (all serving processes)",
                names,
                [
                    svg.Series(
                        "before the first measured scenario",
                        [
                            next(iter(m["per_scenario"].values()))["rss_mib_before"]
                            for m in memory.values()
                        ],
                        svg.COLORS["baseline"],
                    ),
                    svg.Series(
                        "after the run",
                        [m["final_rss_mib"] for m in memory.values()],
                        svg.COLORS["kasir"],
                    ),
                ],
                "MiB",
                [
                    f"{n} (run {result['suites'][n].get('run_id', result['run_id'])}): "
                    f"second-pass growth {m['steady_growth_mib']} MiB"
                    f" ({'grew' if m['grew'] else 'no growth'})"
                    for n, m in memory.items()
                ],
            ),
        ]
        path = directory / "memory.svg"
        path.write_text(svg.chart(panels))
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--suites",
        default=",".join(ALL_SUITES),
        help=f"comma-separated, from {', '.join(ALL_SUITES)}",
    )
    parser.add_argument("--duration", type=float, default=12.0, help="seconds of wrk per scenario")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--base-rows", type=int, default=1_000)
    parser.add_argument("--scale-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database); bench databases are created there",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 3 s scenarios, 20,000-row scale, no charts"
    )
    parser.add_argument(
        "--charts",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write docs/benchmarks/*.svg (default: on for full runs)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy profiles of callback/qris (installs py-spy into the venv)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and work files")
    parser.add_argument(
        "--charts-from",
        type=Path,
        action="append",
        default=[],
        metavar="RESULT_JSON",
        help="only redraw docs/benchmarks/*.svg from earlier results; repeat it to take a "
        "suite from a later run (a rerun of one suite); each chart names its run",
    )
    args = parser.parse_args(argv)
    if args.charts_from:
        merged: dict[str, Any] = {}
        for path in args.charts_from:
            earlier = json.loads(path.read_text())
            for suite in earlier["suites"].values():
                suite["run_id"] = earlier["run_id"]
            if not merged:
                merged = earlier
            else:
                merged["suites"].update(earlier["suites"])
        evaluate(merged)
        for chart in charts(merged, CHARTS):
            log(f"chart {chart.relative_to(ROOT)}")
        return 0
    if args.quick:
        args.duration, args.warmup, args.scale_rows = 3.0, 1.0, min(args.scale_rows, 20_000)
    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    unknown = set(suites) - set(ALL_SUITES)
    if unknown:
        parser.error(f"unknown suites: {', '.join(sorted(unknown))}")
    write_charts = args.charts if args.charts is not None else not args.quick

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    ensure_wrk()
    from entrypoints.demo_data import DEMO_MENU  # noqa: PLC0415 - kasir's own demo menu

    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    workdir = BENCH / "tmp" / run_id
    workdir.mkdir(parents=True, exist_ok=True)
    settings = LoadSettings(args.duration, args.warmup, args.connections, args.threads)
    run = Run(
        settings,
        workdir,
        args.pg_url,
        args.base_rows,
        args.scale_rows,
        DEMO_MENU,
        args.keep,
        args.profile,
    )
    has_pg = pg_available(args.pg_url)
    if not has_pg:
        log(f"PostgreSQL is not reachable at {args.pg_url}: skipping its suites")
    result: dict[str, Any] = {
        "run_id": run_id,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "duration": args.duration,
            "warmup": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "base_rows": args.base_rows,
            "scale_rows": args.scale_rows,
            "load_generator": "wrk on 127.0.0.1, same machine",
            "server_env": {
                k: v
                for k, v in Server("x", "", 1, workdir).env().items()
                if k
                not in (
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
            },
            "postgres_url": args.pg_url if has_pg else None,
            "postgres": _pg_settings(args.pg_url) if has_pg else None,
        },
        "suites": {},
        "skipped": [],
    }
    started = time.monotonic()
    try:
        for suite in suites:
            pg_suite = suite in ("server", "pg", "pg2", "scale-pg")
            if pg_suite and not has_pg:
                result["skipped"].append(suite)
                continue
            log(f"=== suite {suite}")
            try:
                # Database names carry the process id: two runs never drop each other's.
                tag = f"kasir_bench_{os.getpid()}"

                def pg(name: str, tag: str = tag) -> Database:
                    return Database.postgres(args.pg_url, f"{tag}_{name}")

                def lite(name: str, tag: str = tag) -> Database:
                    return Database.sqlite(workdir, f"{tag}_{name}")

                if suite == "server":
                    out = server_suite(run, pg("server"))
                elif suite == "sqlite":
                    out = full_suite(run, suite, lite("sqlite"), 1)
                elif suite == "pg":
                    out = full_suite(run, suite, pg("pg"), 1)
                elif suite == "pg2":
                    out = full_suite(run, suite, pg("pg2"), 2)
                elif suite == "scale-sqlite":
                    out = scale_suite(run, suite, lite("small"), lite("large"))
                else:
                    out = scale_suite(run, suite, pg("small"), pg("large"))
                result["suites"][suite] = out
            except Exception as error:  # one failed suite must not lose the others' figures
                log(f"suite {suite} failed: {error!r}")
                result.setdefault("failed", {})[suite] = traceback.format_exc()
                stop_all()
    except KeyboardInterrupt:
        log("interrupted: stopping every process started")
        result["interrupted"] = True
    finally:
        stop_all()
    result["seconds"] = round(time.monotonic() - started, 1)
    result["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    evaluate(result)
    # Smoke runs (--quick) and partial ones are not results: they stay in bench/tmp.
    results_dir = RESULTS if not args.quick else BENCH / "tmp"
    results_dir.mkdir(parents=True, exist_ok=True)
    out_json = results_dir / f"{run_id}.json"
    out_json.write_text(json.dumps(result, indent=1, default=str) + "\n")
    report = markdown(result)
    (results_dir / f"{run_id}.md").write_text(report + "\n")
    print()
    print(report)
    if write_charts and not result.get("interrupted"):
        for path in charts(result, CHARTS):
            log(f"chart {path.relative_to(ROOT)}")
    log(f"results: {out_json.relative_to(ROOT)} ({result['seconds']:.0f} s)")
    if not args.keep and not result.get("interrupted"):
        shutil.rmtree(workdir, ignore_errors=True)
    return 130 if result.get("interrupted") else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        stop_all()
