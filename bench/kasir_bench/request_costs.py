"""What each per-request feature of kasir's HTTP edge costs, in CPU microseconds per request.

`make bench` measures whole requests through a real server; this measures the parts every
request pays for apart from the database, in one process, by difference:

- the middlewares and the `before_send` hook (request id, body deadline, input guard,
  security headers): the bare benchmark routes (`/bench/form`, `/bench/json`,
  `/bench/orders/{id}`) are sent straight into the ASGI app (no server, no socket), once with
  every feature and once with one feature replaced by a pass-through, and the difference is
  that feature's cost;
- the access line (uvicorn's `uvicorn.access` record through kasir's JSON formatter, written
  to a file as in production), a domain event's log line, and the metrics a paying callback
  updates, each called on its own.

CPU time of this process (`time.process_time`), the median of `--rounds` rounds of
`--requests` requests each; on a busy machine compare runs made one after the other.

    python bench/kasir_bench/request_costs.py [--requests 4000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

SRC = Path(__file__).resolve().parents[2] / "src"
sys.path.insert(0, str(SRC))

# After the path is set: kasir itself.
from adapters.observability import metrics  # noqa: E402
from adapters.observability.event_log import LoggingEventPublisher  # noqa: E402
from domain.events import DomainEvent, OrderPaid, PaymentSucceeded  # noqa: E402
from entrypoints.container import build_container  # noqa: E402
from entrypoints.http import app as app_module  # noqa: E402
from entrypoints.http.request_id import current_request_id  # noqa: E402
from entrypoints.logging_setup import JsonFormatter  # noqa: E402
from entrypoints.settings import load_settings  # noqa: E402

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

# The 15 fields Duitku sends with a callback (values made up; the bare route only decodes).
FORM = urlencode(
    {
        "merchantCode": "DS0000",
        "amount": "16000",
        "merchantOrderId": "KSR-0000000000000000",
        "productDetail": "kasir order 1",
        "additionalParam": "",
        "paymentCode": "SP",
        "resultCode": "00",
        "merchantUserId": "",
        "reference": "DS000025000000000000",
        "signature": "0" * 64,
        "publisherOrderId": "SP0000000000000000",
        "spUserHash": "",
        "settlementDate": "2026-11-30",
        "issuerCode": "93600000",
        "sourceAccount": "",
    }
).encode()
JSON = b'{"order_id": 1, "amount": 16000, "customer_details": {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}}'  # noqa: E501

ROUTES: dict[str, tuple[str, str, bytes, bytes]] = {
    "form": ("POST", "/bench/form", b"application/x-www-form-urlencoded", FORM),
    "json": ("POST", "/bench/json", b"application/json", JSON),
    "get": ("GET", "/bench/orders/12345", b"", b""),
}


def _scope(method: str, path: str, content_type: bytes, body: bytes) -> Message:
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"wrk"),
        (b"accept", b"*/*"),
    ]
    if body:
        headers += [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _requests(app: ASGIApp, route: str, count: int) -> float:
    """CPU seconds for `count` requests of `route` sent straight into `app`."""
    method, path, content_type, body = ROUTES[route]
    template = _scope(method, path, content_type, body)
    status = 0

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    started = time.process_time()
    for _ in range(count):
        scope = {**template, "headers": list(template["headers"]), "state": {}}
        messages = iter([{"type": "http.request", "body": body, "more_body": False}])

        async def receive(messages: Iterator[Message] = messages) -> Message:
            return next(messages, {"type": "http.disconnect"})

        await app(scope, receive, send)
    elapsed = time.process_time() - started
    if status != 200:
        raise RuntimeError(f"{route} answered {status}")
    return elapsed


def _pass_through(app: Any) -> Any:
    return app


async def _no_headers(message: Message, scope: Message) -> None:
    return None


# Each feature, and how to build the app without it (the name in entrypoints.http.app and
# what replaces it there).
WITHOUT: dict[str, tuple[str, Any]] = {
    "request id": ("request_id_middleware", _pass_through),
    "body deadline": ("body_deadline_middleware", lambda _seconds: _pass_through),
    "input guard": ("input_guard_middleware", _pass_through),
    "security headers": ("security_headers", lambda https: _no_headers),
}


@contextlib.contextmanager
def _without(feature: str | None) -> Iterator[None]:
    if feature is None:
        yield
        return
    name, replacement = WITHOUT[feature]
    original = getattr(app_module, name)
    setattr(app_module, name, replacement)
    try:
        yield
    finally:
        setattr(app_module, name, original)


def _build_app(directory: Path, feature: str | None) -> ASGIApp:
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{directory / 'costs.db'}",
        duitku_env="fake",
        kasir_benchmark_routes=True,
        rate_limit_create_per_minute=0,
        reconcile_interval_seconds=0,
    )
    with _without(feature):
        app: Any = app_module.create_app(build_container(settings))
    return cast(ASGIApp, app)


def _median_per_request(rounds: list[float], count: int) -> float:
    return statistics.median(rounds) / count * 1e6


async def http_features(directory: Path, count: int, rounds: int) -> dict[str, dict[str, float]]:
    """µs per request of each route with every feature ("all"), and each feature's share."""
    apps = {feature: _build_app(directory, feature) for feature in [None, *WITHOUT]}
    measured: dict[str | None, dict[str, list[float]]] = {f: {r: [] for r in ROUTES} for f in apps}
    for route in ROUTES:
        for app in apps.values():
            await _requests(app, route, count // 10)  # warm up
    for _ in range(rounds):  # interleaved, so that the machine's load hits all alike
        for feature, app in apps.items():
            for route in ROUTES:
                measured[feature][route].append(await _requests(app, route, count))
    result: dict[str, dict[str, float]] = {}
    for route in ROUTES:
        full = _median_per_request(measured[None][route], count)
        result[route] = {"all": full}
        for feature in WITHOUT:
            result[route][feature] = full - _median_per_request(measured[feature][route], count)
    return result


def _per_call(call: Callable[[], object], count: int, rounds: int) -> float:
    for _ in range(count // 10):
        call()
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(count):
            call()
        samples.append(time.process_time() - started)
    return _median_per_request(samples, count)


def logging_and_metrics(directory: Path, count: int, rounds: int) -> dict[str, float]:
    """µs per call of the access line, a domain event's line and the callback's metrics."""
    handler = logging.FileHandler(directory / "costs.log")
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    access = logging.getLogger("uvicorn.access")
    current_request_id.set("0123456789abcdef0123456789abcdef")

    def access_line() -> None:  # what uvicorn's httptools protocol logs per answer
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:40000",
            "POST",
            "/api/v1/webhooks/duitku",
            "1.1",
            200,
        )

    events = LoggingEventPublisher()
    paid = [OrderPaid(order_id=1, attempt_id="KSR-0000000000000000")]

    def event_line() -> None:
        _drive(events.publish(paid))

    counting = metrics.CountingEventPublisher(_Discard())
    succeeded: list[DomainEvent] = [
        PaymentSucceeded("KSR-0000000000000000", 1, "qris", 16000, "pending"),
        *paid,
    ]

    def callback_metrics() -> None:  # a paying callback's counters (outcome, its two events)
        metrics.count_notification("order_paid")
        _drive(counting.publish(succeeded))

    costs = {
        "access line": _per_call(access_line, count, rounds),
        "event line": _per_call(event_line, count, rounds),
        "callback metrics": _per_call(callback_metrics, count, rounds),
    }
    handler.close()
    return costs


class _Discard:
    async def publish(self, events: Sequence[DomainEvent]) -> None:
        return None


def _drive(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never suspends, without an event loop."""
    with contextlib.suppress(StopIteration):
        coroutine.send(None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls-only", action="store_true", help="skip the HTTP features")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kasir-costs-") as name:
        directory = Path(name)
        http = (
            {}
            if args.calls_only
            else asyncio.run(http_features(directory, args.requests, args.rounds))
        )
        other = logging_and_metrics(directory, args.requests * 5, args.rounds)
    print("CPU µs per request (bare routes, in-process, no server):")  # noqa: T201
    features = ["all", *WITHOUT]
    print(f"{'':18}" + "".join(f"{f:>18}" for f in features))  # noqa: T201
    for route, costs in http.items():
        print(f"{route:18}" + "".join(f"{costs[f]:18.1f}" for f in features))  # noqa: T201
    print("CPU µs per call:")  # noqa: T201
    for name, cost in other.items():
        print(f"  {name:18}{cost:8.2f}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
