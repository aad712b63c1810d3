"""`kasir serve` itself bounds a request's headers and its body's arrival time (real uvicorn)."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
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
        yield port
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


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def test_a_header_of_a_megabyte_is_refused_and_a_normal_one_is_served(server: int) -> None:
    huge = exchange(
        server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n"
    )
    normal = exchange(
        server,
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Fine: " + b"a" * 4_000 + b"\r\nConnection: close"
        b"\r\n\r\n",
    )
    assert status(huge) == 400
    assert status(normal) == 200


def test_a_body_sent_a_byte_at_a_time_is_cut_off_with_408(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as connection:
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
