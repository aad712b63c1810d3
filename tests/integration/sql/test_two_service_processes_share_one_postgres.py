"""Two real `kasir serve` processes on one fresh PostgreSQL database, with the standalone Duitku
simulator: migrations run once before the workers start, and every guarantee holds across
processes: 50 concurrent duplicate callbacks pay the order once, an idempotency key runs its
request once, a reconciliation pass in each process checks an attempt once, and racing writers
on the two processes (a QRIS start against cash or a cancel, two callbacks against cash) leave
no live QR on a settled order and pay it once.

Bounded: every wait has a timeout and every subprocess is killed in teardown. Skipped with the
reason when PostgreSQL is unreachable, unless KASIR_REQUIRE_POSTGRES=1 (then it fails).
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from tests.support.webhook_receiver import eventually, running_receiver

from adapters.sqlalchemy.engine import POOL_OVERFLOW, POOL_SIZE, create_engine_for
from entrypoints.duitku_simulator import DEV_API_KEY, DEV_MERCHANT_CODE

# The processes start once for the module (about 8 s); the tests run on its event loop and
# each works on its own orders.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.asyncio(loop_scope="module"),
]

STAFF_TOKEN = "alice-token-0123456789"
SHARED_KEY = "both-processes-key-1"  # anonymous callers send at least 16 characters
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
WEBHOOK = "/api/v1/webhooks/duitku"
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": None}
START_TIMEOUT = 30.0
NOTIFICATIONS = 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def kasir_command() -> list[str]:
    script = Path(sys.executable).with_name("kasir")
    return [str(script)] if script.exists() else [sys.executable, "-m", "entrypoints.cli"]


@dataclass
class Running:
    """A subprocess with its output in a file (never a pipe that could fill up and block)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Processes:
    """Starts kasir subprocesses in one environment and stops all of them, whatever happens."""

    def __init__(self, workdir: Path, environment: dict[str, str]) -> None:
        self._workdir = workdir
        self._environment = environment
        self.started: list[Running] = []

    def start(self, name: str, *args: str) -> Running:
        log = self._workdir / f"{name}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*kasir_command(), *args],
                cwd=self._workdir,
                env=self._environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        running = Running(name, process, log)
        self.started.append(running)
        return running

    def run(self, name: str, *args: str) -> str:
        """Run a command to completion (bounded); its output."""
        running = self.start(name, *args)
        try:
            code = running.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`kasir {' '.join(args)}` did not finish:\n{running.output()}")
        assert code == 0, running.output()
        return running.log.read_text()

    def stop_all(self) -> None:
        for running in reversed(self.started):
            running.stop()


async def wait_until_up(running: Running, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                pytest.fail(f"{running.name} exited early:\n{running.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    pytest.fail(f"{running.name} did not come up at {url}:\n{running.output()}")


def _admin(url: str, statement: str) -> None:
    """CREATE/DROP DATABASE outside a transaction, on a loop of its own (bounded)."""

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 5})
        try:
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text(statement))
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=60)


@pytest.fixture(scope="module")
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this module, dropped after it."""
    try:
        admin_url: str = request.getfixturevalue("postgres_admin_url")
    except pytest.skip.Exception as skipped:
        if os.environ.get("KASIR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"KASIR_REQUIRE_POSTGRES=1 but PostgreSQL is unusable: {skipped}")
        raise
    name = f"kasir_processes_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Cluster:
    services: list[str]
    simulator: str
    engine: AsyncEngine
    processes: Processes


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    simulator_port = free_port()
    ports = [free_port(), free_port()]
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DUITKU_ENV": "simulator",
        "DUITKU_BASE_URL": f"http://127.0.0.1:{simulator_port}/webapi/api/merchant/",
        "KASIR_STAFF_TOKENS": f"alice:{STAFF_TOKEN}",
        # One secret for both processes: a replay kept by one opens in the other.
        "KASIR_SECRET_KEY": "two-processes-share-this-secret-key-0123456789",
        # Duitku's own callbacks go nowhere: every callback of this test is a lost one,
        # re-sent by the test itself.
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "RECONCILE_INTERVAL_SECONDS": "0",
        # Both dispatchers look for due webhook deliveries often (each is also woken by its
        # own commits).
        "WEBHOOK_DISPATCH_INTERVAL_SECONDS": "0.3",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("DUITKU_MERCHANT_CODE", "DUITKU_API_KEY", "DUITKU_CALLBACK_ALLOWLIST"):
        environment.pop(name, None)
    processes = Processes(tmp_path_factory.mktemp("processes"), environment)
    engine = create_engine_for(database_url)
    try:
        simulator = processes.start("simulator", "simulator", "--port", str(simulator_port))
        processes.run("migrate", "migrate")  # once, before any worker starts
        services = [f"http://127.0.0.1:{port}" for port in ports]
        for n, (port, url) in enumerate(zip(ports, services, strict=True)):
            worker = processes.start(f"service-{n}", "serve", "--port", str(port))
            await wait_until_up(worker, f"{url}/ready")
        await wait_until_up(simulator, f"http://127.0.0.1:{simulator_port}/control/transactions")
        async with httpx.AsyncClient(timeout=10) as client:  # alice's drawer, for her cash
            opened = await client.post(
                f"{services[0]}/api/v1/shifts", json={"opening_float": 0}, headers=STAFF
            )
            assert opened.status_code == 201, opened.text
        yield Cluster(services, f"http://127.0.0.1:{simulator_port}", engine, processes)
    finally:
        processes.stop_all()
        await engine.dispose()


def signed_callback(attempt_id: str, amount: int, reference: str) -> dict[str, str]:
    """Duitku's success callback, signed with the simulator's development key."""
    text_amount = str(amount)
    signature = hmac.new(
        DEV_API_KEY.encode(),
        f"{DEV_MERCHANT_CODE}{text_amount}{attempt_id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return {
        "merchantCode": DEV_MERCHANT_CODE,
        "amount": text_amount,
        "merchantOrderId": attempt_id,
        "resultCode": "00",
        "reference": reference,
        "signature": signature,
    }


async def place_order(
    client: httpx.AsyncClient, service: str, *, table: str = "5", **headers: str
) -> httpx.Response:
    menu = (await client.get(f"{service}/api/v1/menu-items")).json()
    item = next(entry for entry in menu if entry["price"] >= 10_000)
    return await client.post(
        f"{service}/api/v1/orders",
        json={"items": [{"menu_item_id": item["id"], "quantity": 2}], "table_number": table},
        headers=headers,
    )


def summary_of(output: str) -> dict[str, Any]:
    """The JSON summary `kasir reconcile` prints (its log lines, if any, are single lines)."""
    lines = output.splitlines()
    start = lines.index("{")
    end = lines.index("}", start)
    summary: dict[str, Any] = json.loads("\n".join(lines[start : end + 1]))
    return summary


async def rows(engine: AsyncEngine, query: str, **params: Any) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(text(query), params)).all())


async def test_fifty_duplicate_callbacks_across_two_processes_pay_the_order_once(
    cluster: Cluster,
) -> None:
    a, b = cluster.services
    async with httpx.AsyncClient(timeout=20) as client:
        placed = (await place_order(client, a)).json()
        started = await client.post(
            f"{b}/api/v1/payments/qris",
            json={
                "order_id": placed["id"],
                "amount": placed["total"],
                "customer_details": CUSTOMER,
            },
            headers={"X-Order-Token": placed["access_token"]},
        )
        assert started.status_code == 201, started.text
        attempt = started.json()
        paid = await client.post(
            f"{cluster.simulator}/control/transactions/{attempt['order_uid']}/pay"
        )
        assert paid.status_code == 200, paid.text  # its own callback could not be delivered

        form = signed_callback(attempt["order_uid"], placed["total"], attempt["transaction_token"])
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(
                    client.post(f"{cluster.services[n % 2]}{WEBHOOK}", data=form)
                    for n in range(NOTIFICATIONS)
                )
            ),
            timeout=60,
        )
        order = (await client.get(f"{a}/api/v1/orders/{placed['id']}", headers=STAFF)).json()

    assert [answer.status_code for answer in answers] == [200] * NOTIFICATIONS, [
        answer.text for answer in answers if answer.status_code != 200
    ]
    outcomes = Counter(answer.json()["outcome"] for answer in answers)
    assert outcomes == {"order_paid": 1, "already_settled": NOTIFICATIONS - 1}
    assert order["status"] == "paid"
    [payment] = order["payments"]
    assert payment["status"] == "succeeded"
    [(version,)] = await rows(
        cluster.engine,
        "SELECT version FROM payments WHERE order_uid = :uid",
        uid=payment["order_uid"],
    )
    assert version == 2  # issued, then succeeded: one transition, however many callbacks
    stored = await rows(
        cluster.engine,
        "SELECT outcome FROM notification_inbox WHERE order_uid = :uid",
        uid=payment["order_uid"],
    )
    assert Counter(outcome for (outcome,) in stored) == outcomes


async def test_one_idempotency_key_sent_to_both_processes_runs_its_request_once(
    cluster: Cluster,
) -> None:
    async with httpx.AsyncClient(timeout=20) as client:
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(
                    place_order(
                        client,
                        cluster.services[n % 2],
                        table="k-1",
                        **{"Idempotency-Key": SHARED_KEY},
                    )
                    for n in range(6)
                )
            ),
            timeout=30,
        )
        replay = await place_order(
            client, cluster.services[1], table="k-1", **{"Idempotency-Key": SHARED_KEY}
        )

    assert {answer.status_code for answer in answers} <= {201, 409}
    placed = {answer.json()["id"] for answer in answers if answer.status_code == 201}
    assert len(placed) == 1
    assert replay.status_code == 201
    assert replay.json()["id"] in placed
    assert await rows(
        cluster.engine, "SELECT id FROM orders WHERE table_number = :table", table="k-1"
    ) == [(placed.pop(),)]


async def test_kasir_reconcile_in_both_processes_checks_an_attempt_once(
    cluster: Cluster,
) -> None:
    a, _ = cluster.services
    async with httpx.AsyncClient(timeout=20) as client:
        placed = (await place_order(client, a)).json()
        started = await client.post(
            f"{a}/api/v1/payments/qris",
            json={
                "order_id": placed["id"],
                "amount": placed["total"],
                "customer_details": CUSTOMER,
            },
            headers={"X-Order-Token": placed["access_token"]},
        )
        attempt_id = started.json()["order_uid"]
        await client.post(f"{cluster.simulator}/control/transactions/{attempt_id}/pay")
    # The lost callback's attempt is due for its first check: pretend its QR expired 3 min ago.
    async with cluster.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE payments SET expires_at = now() - interval '3 minutes' "
                "WHERE order_uid = :uid"
            ),
            {"uid": attempt_id},
        )

    outputs = await asyncio.wait_for(
        asyncio.gather(
            asyncio.to_thread(cluster.processes.run, "reconcile-a", "reconcile"),
            asyncio.to_thread(cluster.processes.run, "reconcile-b", "reconcile"),
        ),
        timeout=90,
    )

    summaries = [summary_of(output) for output in outputs]
    checked = [summary["reconciliation"]["checked"] for summary in summaries]
    assert sorted(checked) == [0, 1]
    assert [
        s["reconciliation"]["outcomes"] for s in summaries if s["reconciliation"]["checked"]
    ] == [{"order_paid": 1}]
    [(status, check_count)] = await rows(
        cluster.engine,
        "SELECT status, check_count FROM payments WHERE order_uid = :uid",
        uid=attempt_id,
    )
    assert (status, check_count) == ("succeeded", 1)


# --- Racing writers of one order, one on each process --------------------------------------
# Through HTTP no pause can be injected, so these rounds race freely (the in-process race test
# holds each round at its critical point); they show the rules hold across real processes.

RACE_ROUNDS = 12
RACE_BUDGET = 12.0  # seconds for one race's rounds; later rounds are skipped past it
STAGGER = (0.0, 0.005, 0.02, 0.05)  # how long one side waits, so rounds interleave differently
OPEN_QRIS = ("creating", "pending")


async def after(delay: float, request: Awaitable[httpx.Response]) -> httpx.Response:
    await asyncio.sleep(delay)
    return await request


def said(answer: httpx.Response) -> str:
    """An answer in a few words, for a failing round's message."""
    try:
        body = answer.json()
    except ValueError:
        return f"{answer.status_code} {answer.text[:80]!r}"
    if not isinstance(body, dict):
        return f"{answer.status_code}"
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return f"{answer.status_code} {code or body.get('outcome') or body.get('status')}"


async def start_qris(client: httpx.AsyncClient, service: str, placed: Any) -> httpx.Response:
    return await client.post(
        f"{service}/api/v1/payments/qris",
        json={"order_id": placed["id"], "amount": placed["total"], "customer_details": CUSTOMER},
        headers={"X-Order-Token": placed["access_token"]},
    )


async def take_cash(client: httpx.AsyncClient, service: str, placed: Any) -> httpx.Response:
    return await client.post(
        f"{service}/api/v1/payments/cash",
        json={"order_id": placed["id"], "amount_tendered": placed["total"]},
        headers=STAFF,
    )


async def cancel_order(client: httpx.AsyncClient, service: str, placed: Any) -> httpx.Response:
    return await client.post(
        f"{service}/api/v1/orders/{placed['id']}/cancel",
        json={"reason": "the table left"},
        headers=STAFF,
    )


async def paid_attempt(client: httpx.AsyncClient, service: str, simulator: str) -> tuple[Any, Any]:
    """An order with a QRIS attempt that the customer paid at the simulator, whose own callback
    went nowhere; the order and the attempt as answered."""
    placed = (await place_order(client, service)).json()
    started = await start_qris(client, service, placed)
    assert started.status_code == 201, started.text
    attempt = started.json()
    paid = await client.post(f"{simulator}/control/transactions/{attempt['order_uid']}/pay")
    assert paid.status_code == 200, paid.text
    return placed, attempt


async def broken_money_rules(engine: AsyncEngine, order_id: int) -> list[str]:
    """The money rules an order breaks, read from the shared database (none, when all hold)."""
    [(status, paid_by, total)] = await rows(
        engine, "SELECT status, paid_by, total FROM orders WHERE id = :id", id=order_id
    )
    payments = await rows(
        engine,
        "SELECT order_uid, method, status, amount, refund_required_at IS NOT NULL "
        "FROM payments WHERE order_id = :id",
        id=order_id,
    )
    broken = []
    live = [uid for uid, method, state, _, _ in payments if method == "qris" and state in OPEN_QRIS]
    if status != "awaiting_payment" and live:
        broken.append(f"order {status} with open QRIS attempts {live}")
    paying = [
        (uid, amount)
        for uid, _, state, amount, refund in payments
        if state == "succeeded" and not refund
    ]
    if status == "paid" and [uid for uid, _ in paying] != [paid_by]:
        broken.append(f"paid by {paid_by}, succeeded without a refund to make: {paying}")
    if status != "paid" and paying:
        broken.append(f"order {status} kept a payment without a refund to make: {paying}")
    if any(amount != total for _, amount in paying):
        broken.append(f"a payment does not cover the total {total}: {paying}")
    return broken


@pytest.mark.parametrize("settle", ["cash", "cancel"])
async def test_a_qris_start_on_one_process_racing_cash_or_a_cancel_on_the_other_leaves_no_live_qr(
    cluster: Cluster, settle: str
) -> None:
    settling = take_cash if settle == "cash" else cancel_order
    deadline = time.monotonic() + RACE_BUDGET
    played = 0
    async with httpx.AsyncClient(timeout=20) as client:
        while played < RACE_ROUNDS and time.monotonic() < deadline:
            here, there = cluster.services[:: 1 if played % 2 else -1]
            placed = (await place_order(client, here)).json()
            delay = STAGGER[played % len(STAGGER)]
            started, settled = await asyncio.wait_for(
                asyncio.gather(
                    after(delay if played % 3 else 0.0, start_qris(client, here, placed)),
                    after(0.0 if played % 3 else delay, settling(client, there, placed)),
                ),
                timeout=30,
            )
            context = f"round {played}: start {said(started)}, {settle} {said(settled)}"
            # 404: the settling side closed the attempt before its QR could be recorded.
            assert started.status_code in (201, 404, 409), context
            assert settled.status_code == (201 if settle == "cash" else 200), context
            assert await broken_money_rules(cluster.engine, placed["id"]) == [], context
            played += 1
    assert played >= 3


async def test_two_success_callbacks_racing_cash_across_two_processes_pay_the_order_once(
    cluster: Cluster,
) -> None:
    a, b = cluster.services
    deadline = time.monotonic() + RACE_BUDGET
    async with httpx.AsyncClient(timeout=20) as client:
        # The simulator takes a while to give up on each paid QR's own callback: pay them all
        # first, together, then race each order's callbacks against its cash payment.
        prepared = await asyncio.wait_for(
            asyncio.gather(
                *(paid_attempt(client, a, cluster.simulator) for _ in range(RACE_ROUNDS))
            ),
            timeout=30,
        )
        played = 0
        for placed, attempt in prepared:
            if time.monotonic() > deadline:
                break
            form = signed_callback(
                attempt["order_uid"], placed["total"], attempt["transaction_token"]
            )
            first, cash, second = await asyncio.wait_for(
                asyncio.gather(
                    client.post(f"{a}{WEBHOOK}", data=form),
                    after(
                        STAGGER[played % len(STAGGER)],
                        take_cash(client, cluster.services[played % 2], placed),
                    ),
                    client.post(f"{b}{WEBHOOK}", data=form),
                ),
                timeout=30,
            )
            context = f"round {played}: cash {said(cash)}, callbacks {said(first)}, {said(second)}"
            assert [first.status_code, second.status_code] == [200, 200], context
            assert cash.status_code in (201, 409), context
            applied = [
                answer.json()["outcome"]
                for answer in (first, second)
                if answer.json()["outcome"] != "already_settled"
            ]
            assert len(applied) <= 1, context
            assert await broken_money_rules(cluster.engine, placed["id"]) == [], context
            [(state, refund)] = await rows(
                cluster.engine,
                "SELECT status, refund_required_at IS NOT NULL FROM payments "
                "WHERE order_uid = :uid",
                uid=attempt["order_uid"],
            )
            assert state == "succeeded", context  # the money that arrived is never dropped
            assert refund is (cash.status_code == 201), context  # cash first: a refund to make
            played += 1
    assert played >= 3


WEBHOOK_ORDERS = 6


async def test_each_event_goes_once_to_each_subscriber_when_both_processes_dispatch(
    cluster: Cluster,
) -> None:
    """Two subscribers, orders placed, paid and cancelled on both processes: both processes'
    dispatchers share the deliveries through their leases, and each subscriber receives each
    event exactly once (no duplicate even before dedupe), each order's in its order."""
    a, b = cluster.services
    names = ("kitchen", "front")
    async with running_receiver() as receiver, httpx.AsyncClient(timeout=20) as client:
        subscriptions = []
        for name in names:
            created = await client.post(
                f"{a}/api/v1/webhook-subscriptions", json={"url": receiver.url(name)}, headers=STAFF
            )
            assert created.status_code == 201, created.text
            receiver.secrets[name] = created.json()["secret"]
            subscriptions.append(created.json()["id"])
        placed = [
            (await place_order(client, cluster.services[n % 2], table=f"w-{n}")).json()
            for n in range(WEBHOOK_ORDERS)
        ]
        for n, order in enumerate(placed):
            other = cluster.services[(n + 1) % 2]
            if n % 2:
                done = await client.post(
                    f"{other}/api/v1/payments/cash",
                    json={"order_id": order["id"], "amount_tendered": order["total"]},
                    headers=STAFF,
                )
            else:
                done = await cancel_order(client, other, order)
            assert done.status_code in (200, 201), done.text
        order_ids = [order["id"] for order in placed]
        committed = await rows(
            cluster.engine,
            "SELECT event_id, order_id FROM outbox_events WHERE order_id = ANY(:ids) "
            "ORDER BY order_id, seq",
            ids=order_ids,
        )
        expected = [event_id for event_id, _ in committed]

        def everything_arrived() -> bool:
            return all(len(receiver.first_arrivals(name)) >= len(expected) for name in names)

        await eventually(everything_arrived, within=60, what="both subscribers' deliveries")
        for subscription in subscriptions:  # the later tests' events are not for this receiver
            paused = await client.patch(
                f"{b}/api/v1/webhook-subscriptions/{subscription}",
                json={"status": "paused"},
                headers=STAFF,
            )
            assert paused.status_code == 200, paused.text

    assert receiver.refused == 0
    for name in names:
        raw = [item.webhook_id for item in receiver.accepted if item.name == name]
        assert sorted(raw) == sorted(expected), f"{name} did not get each event exactly once"
        for order_id in order_ids:
            mine = [event_id for event_id, owner in committed if owner == order_id]
            assert [i for i in raw if i in mine] == mine, f"{name}: order {order_id} out of order"


async def _next_status(lines: AsyncIterator[str]) -> dict[str, Any]:
    """The next `status` event of an SSE stream (heartbeats and other fields skipped)."""
    event = None
    async for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "status":
            status: dict[str, Any] = json.loads(line.removeprefix("data: "))
            return status
    raise AssertionError("the stream ended before a status event")


# More than a process's pool can ever hold (POOL_SIZE kept, POOL_OVERFLOW more in a burst).
STREAMS_BEYOND_THE_POOL = POOL_SIZE + POOL_OVERFLOW + 5


async def test_a_stream_on_one_process_sees_a_callback_handled_by_the_other_within_a_second(
    cluster: Cluster,
) -> None:
    """PostgreSQL LISTEN/NOTIFY wakes the stream of process A when process B pays the order; A
    holds more open streams than its pool has connections and still answers, since a waiting
    stream holds none (and no transaction is left open)."""
    a, b = cluster.services
    async with httpx.AsyncClient(timeout=20) as client, contextlib.AsyncExitStack() as streams:
        # At most STREAM_MAX_PER_ORDER (4) streams per order: enough orders for all of them.
        orders = STREAMS_BEYOND_THE_POOL // 4 + 1
        placed = [(await place_order(client, a)).json() for _ in range(orders)]
        watched = placed[0]
        started = await client.post(
            f"{b}/api/v1/payments/qris",
            json={
                "order_id": watched["id"],
                "amount": watched["total"],
                "customer_details": CUSTOMER,
            },
            headers={"X-Order-Token": watched["access_token"]},
        )
        assert started.status_code == 201, started.text
        attempt = started.json()
        opened: list[AsyncIterator[str]] = []
        for n in range(STREAMS_BEYOND_THE_POOL):
            order = placed[n % len(placed)]
            token = await client.post(
                f"{a}/api/v1/orders/{order['id']}/stream-token", headers=STAFF
            )
            assert token.status_code == 201, token.text
            response = await streams.enter_async_context(
                client.stream("GET", f"{a}{token.json()['events_url']}")
            )
            assert response.status_code == 200
            lines = response.aiter_lines()
            assert (await _next_status(lines))["status"] == "awaiting_payment"
            opened.append(lines)
        still_answering = await client.get(f"{a}/api/v1/orders/{watched['id']}", headers=STAFF)
        open_transactions = await rows(
            cluster.engine,
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        )
        paid = await client.post(
            f"{cluster.simulator}/control/transactions/{attempt['order_uid']}/pay"
        )
        assert paid.status_code == 200, paid.text
        callback = await client.post(
            f"{b}{WEBHOOK}",
            data=signed_callback(
                attempt["order_uid"], watched["total"], attempt["transaction_token"]
            ),
        )
        assert callback.json()["outcome"] == "order_paid"
        async with asyncio.timeout(1.0):  # the promise: within one second
            seen = await _next_status(opened[0])

    assert still_answering.status_code == 200
    assert open_transactions == [(0,)]
    assert seen["status"] == "paid"
    assert seen["reference"] == attempt["order_uid"]
