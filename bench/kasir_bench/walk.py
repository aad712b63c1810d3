"""`make walk`: how many of kasir's files one paying Duitku notification walks through.

The question a newcomer asks, "what happens when Duitku's callback arrives?", has an answer
as long as the files it crosses. This counts them, reproducibly: one paying callback, signed
by the built-in Duitku simulator, is sent in-process to the real ASGI app on a SQLite file,
and every file under `src/` whose code runs is recorded (`sys.setprofile`) from the moment
the request reaches the app until the `UPDATE orders ... status='paid'` statement is sent to
the database. The simulator answers the status check kasir makes on the way.

What is left out, and why:

- Duitku's side: `src/entrypoints/duitku_simulator/` (and `gateway_simulator/`, its shared
  half), and everything that runs below the HTTP transport of kasir's status check (the
  simulator's own app reuses kasir's input guard; that is Duitku's work in this play,
  not kasir's).
- Start-up and first-use code: the measured callback is the process's second. The first, for
  another order, imports every module and builds every lazily built singleton (engine, HTTP
  client, limiters), so only what every callback runs is counted.
- Code after the UPDATE (commit, events, the answer): the walk ends at the statement.
- Generated code with no file (a dataclass's `__init__`) counts for no file.

Run it with `make walk` (or `python bench/kasir_bench/walk.py`); it prints the count and the
files grouped by layer. The numbers before and after the reshaping are in
docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import event

SRC = Path(__file__).resolve().parents[2] / "src"
# This checkout's kasir first, even in a virtualenv that installed another checkout's: the walk
# of an older commit is measured by copying this file into a worktree of it.
sys.path.insert(0, str(SRC))

# After the path is set: kasir itself.
from adapters.sqlalchemy.migrate import upgrade_database  # noqa: E402
from entrypoints.container import Container, build_container  # noqa: E402
from entrypoints.duitku_simulator import DuitkuSimulator  # noqa: E402
from entrypoints.http.app import create_app  # noqa: E402
from entrypoints.resources import close_resources  # noqa: E402
from entrypoints.settings import load_settings  # noqa: E402

LAYERS = ("entrypoints", "adapters", "application", "domain")
SIMULATOR = SRC / "entrypoints" / "duitku_simulator"
# What the Duitku simulator shares with the other gateway simulators: Duitku's side too.
SHARED_SIMULATOR = SRC / "entrypoints" / "gateway_simulator"
_GATEWAY_SIDE = (f"{SIMULATOR}/", f"{SHARED_SIMULATOR}/")
WEBHOOK = "/api/v1/webhooks/duitku"
BASE_URL = "http://kasir.walk"
STAFF_TOKEN = "walk-staff-token-0123456789"  # noqa: S105 - a throwaway token of this run
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}
# The gateway's side of a status check starts below this file of httpx.
_TRANSPORT = "/httpx/_transports/asgi.py"

Message = MutableMapping[str, Any]


@dataclass(slots=True)
class Walk:
    """The files of `src/` whose code ran on kasir's side before the order was marked paid."""

    files: set[Path] = field(default_factory=set)
    reached_update: bool = False
    statement: str = ""

    @property
    def count(self) -> int:
        return len(self.files)

    def by_layer(self) -> dict[str, list[str]]:
        """The files relative to `src/`, grouped by their layer, outermost first."""
        grouped: dict[str, list[str]] = {layer: [] for layer in LAYERS}
        for path in sorted(self.files):
            relative = path.relative_to(SRC)
            grouped.setdefault(relative.parts[0], []).append(str(relative))
        return grouped


class _Tracer:
    """A profile hook that records kasir-side files until the order is marked paid."""

    def __init__(self, walk: Walk) -> None:
        self.walk = walk
        self._src = f"{SRC}/"

    def __call__(self, frame: FrameType, what: str, _arg: object) -> None:
        if what != "call" or self.walk.reached_update:
            return
        filename = frame.f_code.co_filename
        if not filename.startswith(self._src) or filename.startswith(_GATEWAY_SIDE):
            return
        path = Path(filename)
        if path in self.walk.files or _on_the_gateways_side(frame):
            return
        self.walk.files.add(path)

    def on_statement(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any
    ) -> None:
        """SQLAlchemy's before_cursor_execute: stop at the UPDATE that marks the order paid."""
        if self.walk.reached_update or not _marks_an_order_paid(statement, parameters):
            return
        self.walk.reached_update = True
        self.walk.statement = " ".join(statement.split())


def _on_the_gateways_side(frame: FrameType) -> bool:
    """Whether this call runs below the transport of kasir's request to the gateway."""
    caller: FrameType | None = frame
    while caller is not None:
        name = caller.f_code.co_filename
        if name.endswith(_TRANSPORT) or name.startswith(_GATEWAY_SIDE):
            return True
        caller = caller.f_back
    return False


def _marks_an_order_paid(statement: str, parameters: Any) -> bool:
    if not statement.lstrip().upper().startswith("UPDATE ORDERS"):
        return False
    values = parameters.values() if isinstance(parameters, Mapping) else parameters
    return "paid" in list(values or ())


@contextmanager
def _traced(tracer: _Tracer) -> Iterator[None]:
    """Profile this thread (and any thread started meanwhile), then restore what was there."""
    previous = sys.getprofile()
    threading.setprofile(tracer)
    sys.setprofile(tracer)
    try:
        yield
    finally:
        sys.setprofile(previous)
        threading.setprofile(previous)


async def _post_form(app: Any, path: str, fields: Mapping[str, str]) -> int:
    """POST a form straight into the ASGI app (no HTTP client on kasir's side of the walk)."""
    body = urlencode(fields).encode()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"kasir.walk"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("kasir.walk", 80),
    }
    sent = False
    status = 0

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def _held_paying_callback(
    client: httpx.AsyncClient, simulator: DuitkuSimulator
) -> dict[str, str]:
    """Place an order, start its QRIS payment, and have the simulator's payer pay it; the
    simulator's signed callback is held back and returned instead of being sent."""
    item = await client.post(
        "/api/v1/menu-items", json={"name": "Es teh", "price": 8_000}, headers=STAFF
    )
    order = await client.post(
        "/api/v1/orders", json={"items": [{"menu_item_id": item.json()["id"], "quantity": 2}]}
    )
    placed = order.json()
    started = await client.post(
        "/api/v1/payments/qris",
        json={"order_id": placed["id"], "amount": placed["total"], "customer_details": CUSTOMER},
        headers={"X-Order-Token": placed["access_token"]},
    )
    if started.status_code != 201:
        raise RuntimeError(f"the QRIS payment did not start: {started.text}")
    attempt_id = started.json()["order_uid"]
    simulator.controller.callback_controls().hold(attempt_id)
    await simulator.pay(attempt_id)
    [form] = simulator.inspect(attempt_id).held_callbacks
    return form


async def walk(database: Path) -> Walk:
    """Measure the walk of one paying callback on a fresh SQLite file at `database`."""
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        duitku_env="simulator",
        kasir_staff_tokens=f"walker:{STAFF_TOKEN}",
        public_base_url=BASE_URL,
    )
    await upgrade_database(settings.database_url)
    container: Container = build_container(settings)
    simulator = container.simulator()
    if simulator is None:
        raise RuntimeError("the walk needs the mounted Duitku simulator")
    app = create_app(container)
    result = Walk()
    tracer = _Tracer(result)
    engine = container.engine().sync_engine
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            # The first callback warms the process up: imports, lazily built singletons.
            warm_up = await _held_paying_callback(client, simulator)
            if await _post_form(app, WEBHOOK, warm_up) != 200:
                raise RuntimeError("the warm-up callback was not handled")
            measured = await _held_paying_callback(client, simulator)
        event.listen(engine, "before_cursor_execute", tracer.on_statement)
        try:
            with _traced(tracer):
                status = await _post_form(app, WEBHOOK, measured)
        finally:
            event.remove(engine, "before_cursor_execute", tracer.on_statement)
        if status != 200:
            raise RuntimeError(f"the measured callback was answered {status}")
    finally:
        await close_resources(container)
    return result


def report(result: Walk) -> str:
    lines = [
        f"{result.count} files under src/ run between the paying callback's arrival and "
        "the UPDATE that marks the order paid",
        f"  statement: {result.statement[:120]}",
        "  (kasir's side only: the simulator playing Duitku is left out; start-up and first-use "
        "code too, the measured callback being the process's second)",
    ]
    for layer, files in result.by_layer().items():
        lines.append(f"{layer} ({len(files)})")
        lines.extend(f"  {name}" for name in files)
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kasir-walk-") as directory:
        result = asyncio.run(walk(Path(directory) / "walk.db"))
    if not result.reached_update:
        print("the callback never marked the order paid", file=sys.stderr)  # noqa: T201
        return 1
    print(report(result))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
