"""`kasir serve` itself bounds a request's headers and its body's arrival time (real uvicorn),
with either HTTP parser: httptools (the default, bounded by kasir) and h11."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def kasir_command() -> list[str]:
    script = Path(sys.executable).with_name("kasir")
    return [str(script)] if script.exists() else [sys.executable, "-m", "entrypoints.cli"]


@dataclass(frozen=True)
class Served:
    port: int
    parser: str  # the HTTP_PARSER setting, "" for the default


# What each parser answers a request whose headers are too large.
TOO_LARGE = {"": 431, "httptools": 431, "h11": 400}


@pytest.fixture(scope="module", params=["", "h11"], ids=["default (httptools)", "h11"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Served]:
    parser: str = request.param
    workdir = tmp_path_factory.mktemp("serve")
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'kasir.db'}",
        "DUITKU_ENV": "fake",
        "RECONCILE_INTERVAL_SECONDS": "0",
        "REQUEST_BODY_TIMEOUT_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("HTTP_PARSER", "DUITKU_MERCHANT_CODE", "DUITKU_API_KEY", "PUBLIC_BASE_URL"):
        environment.pop(name, None)
    if parser:
        environment["HTTP_PARSER"] = parser
    log = workdir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*kasir_command(), "serve", "--port", str(port)],
            cwd=workdir,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"kasir serve did not start:\n{log.read_text()[-3000:]}")
        yield Served(port, parser)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def exchange(port: int, request: bytes, *, wait: float = 5.0) -> bytes:
    """Send `request` and read the answer until the server closes or `wait` passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)
        return read_answer(connection, wait)


def read_answer(connection: socket.socket, wait: float) -> bytes:
    answer = b""
    deadline = time.monotonic() + wait
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while time.monotonic() < deadline and b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def read_whole_answer(connection: socket.socket) -> bytes:
    """One answer with its body (by its Content-Length), leaving the connection at the next."""
    answer = read_answer(connection, 5.0)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def test_a_header_of_a_megabyte_is_refused_and_a_normal_one_is_served(server: Served) -> None:
    huge = exchange(
        server.port,
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n",
    )
    normal = exchange(
        server.port,
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Fine: " + b"a" * 4_000 + b"\r\nConnection: close"
        b"\r\n\r\n",
    )
    assert status(huge) == TOO_LARGE[server.parser]
    assert status(normal) == 200


def test_headers_dripped_past_16_kib_are_refused_before_they_end(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        for number in range(40):  # 40 headers of 1 KiB, sent one at a time, never ended
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.sendall(b"X-Part-%d: " % number + b"a" * 1_000 + b"\r\n")
            time.sleep(0.005)
        answer = read_answer(connection, 5.0)
    assert status(answer) == TOO_LARGE[server.parser]


def test_a_request_within_the_limits_passes_on_a_kept_alive_connection(server: Served) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Fine: " + b"a" * 12_000 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        answers = []
        for _ in range(3):  # 36 KiB of headers in all: each request is bounded on its own
            connection.sendall(request)
            answers.append(status(read_whole_answer(connection)))
    assert answers == [200, 200, 200]


def test_more_than_100_headers_are_refused_by_httptools(server: Served) -> None:
    if server.parser == "h11":
        pytest.skip("h11 bounds the headers' size only")
    many = b"".join(b"X-H%d: 1\r\n" % number for number in range(101))
    within = b"".join(b"X-H%d: 1\r\n" % number for number in range(90))
    refused = exchange(server.port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    served = exchange(
        server.port,
        b"GET /health HTTP/1.1\r\nHost: x\r\n" + within + b"Connection: close\r\n\r\n",
    )
    assert status(refused) == 431
    assert status(served) == 200


def test_a_body_sent_a_byte_at_a_time_is_cut_off_with_408(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(
            b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        started = time.monotonic()
        connection.settimeout(0.1)
        answer = b""
        for _ in range(50):  # at most ~5 s, one byte each 0.1 s
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.sendall(b" ")
            with contextlib.suppress(TimeoutError):
                answer += connection.recv(65536)
            if b"\r\n\r\n" in answer:
                break
        elapsed = time.monotonic() - started
        answer += read_answer(connection, 1.0)
    assert status(answer) == 408, answer[:300]
    assert elapsed < 3
    body = answer.split(b"\r\n\r\n", 1)[1]
    if body:
        assert json.loads(body)["error"]["code"] == "request_timeout"
