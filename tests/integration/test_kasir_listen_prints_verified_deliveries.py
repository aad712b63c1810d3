"""`kasir listen`: a real receiver process that verifies each delivery of the feed with
`standardwebhooks` and prints one line per verified delivery; a forged one is refused."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.support.resolvers import StaticResolver
from tests.support.webhook_receiver import free_port

from adapters.webhooks.sender import HttpWebhookSender
from application.destinations import DestinationPolicy
from application.outbox import OutboxEvent
from application.use_cases.webhook_feed import new_secret

START_TIMEOUT = 30.0
SECRET = new_secret()
EVENT = OutboxEvent(
    position=1,
    id="evt_" + "ab" * 16,
    order_id=12,
    seq=5,
    type="order.paid",
    payload={"id": "evt_" + "ab" * 16, "type": "order.paid", "seq": 5, "order": {"id": 12}},
    occurred_at=datetime(2026, 3, 4, tzinfo=UTC),
)


@dataclass
class Listener:
    url: str
    log: Path


def kasir_command() -> list[str]:
    script = Path(sys.executable).with_name("kasir")
    return [str(script)] if script.exists() else [sys.executable, "-m", "entrypoints.cli"]


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Listener]:
    port = free_port()
    log = tmp_path / "listen.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*kasir_command(), "listen", "--port", str(port), "--secret", SECRET],
            cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
            pytest.fail(f"kasir listen did not start:\n{log.read_text()[-3000:]}")
        yield Listener(f"http://127.0.0.1:{port}/", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def test_a_signed_delivery_is_printed_and_a_forged_one_refused(listener: Listener) -> None:
    async with httpx.AsyncClient() as client:
        sender = HttpWebhookSender(
            client, policy=DestinationPolicy(anywhere=True), resolver=StaticResolver()
        )
        good = await sender.send(listener.url, SECRET, EVENT)
        forged = await sender.send(listener.url, new_secret(), EVENT)

    assert (good.status_code, forged.status_code) == (204, 400)
    # Printed (and flushed) before the answer was sent.
    output = listener.log.read_text()
    assert f"verified {EVENT.id} order.paid order 12 #5" in output
    assert "refused a delivery" in output


def test_listen_needs_a_secret() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "WEBHOOK_SECRET"}
    done = subprocess.run(
        [*kasir_command(), "listen", "--port", "1"],
        env=environment,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert b"needs --secret" in done.stderr
