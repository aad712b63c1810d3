"""Fixtures: the Duitku simulator and a callback receiver, each served by uvicorn on loopback.

The adapter talks to them over real TCP, so its httpx client, timeouts and error mapping are
exercised exactly as in production. Every wait is bounded, and teardown stops the servers.

The default simulator and the receiver live for a whole test module (starting and stopping
uvicorn costs ~0.2 s each), so the tests run on a module-scoped event loop: test modules set
`pytest.mark.asyncio(loop_scope="module")`. Each test still gets clean faults and an empty
callback list; tests needing another simulator configuration start their own.
"""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import pytest_asyncio
import uvicorn

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway, make_http_client
from entrypoints.duitku_simulator import (
    DEV_API_KEY,
    DEV_MERCHANT_CODE,
    DuitkuSimulator,
    SimulatorConfig,
    build_simulator,
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

STARTUP_TIMEOUT_S = 5.0
SHUTDOWN_TIMEOUT_S = 5.0
CALLBACK_PATH = "/callbacks/duitku"


class _InProcessServer(uvicorn.Server):
    """uvicorn without signal handlers: pytest owns SIGINT, the fixture owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_loopback() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (the OS picks the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def root_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()
    return f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def serve(app: Any, sock: socket.socket, *, lifespan: str) -> AsyncIterator[None]:
    """Serve an ASGI app on `sock` until the block ends; start-up and shutdown are bounded."""
    config = uvicorn.Config(
        app,
        lifespan=lifespan,  # type: ignore[arg-type]
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = _InProcessServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            while not server.started:
                if task.done():
                    task.result()  # surfaces the start-up error
                    raise RuntimeError("uvicorn stopped during start-up")
                await asyncio.sleep(0.01)
        yield
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            server.force_exit = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        sock.close()


class CallbackInbox:
    """A minimal merchant endpoint: records each form POST and answers HTTP 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST" and scope["path"] == CALLBACK_PATH:
            self.received.append(dict(parse_qsl(body.decode(), keep_blank_values=True)))
            status = 200
        else:
            status = 404
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"OK"})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def callback_inbox() -> AsyncIterator[tuple[CallbackInbox, str]]:
    """A running receiver and its callback URL, shared by the module's tests."""
    inbox = CallbackInbox()
    sock = bind_loopback()
    async with serve(inbox, sock, lifespan="off"):
        yield inbox, root_url(sock) + CALLBACK_PATH


@pytest.fixture
def callback_url(callback_inbox: tuple[CallbackInbox, str]) -> str:
    return callback_inbox[1]


@pytest.fixture
def callbacks_received(callback_inbox: tuple[CallbackInbox, str]) -> list[dict[str, str]]:
    """Form fields of every callback delivered during this test, in order."""
    inbox = callback_inbox[0]
    inbox.received.clear()
    return inbox.received


def _simulator_config(sock: socket.socket, **overrides: Any) -> SimulatorConfig:
    config = SimulatorConfig(
        public_base_url=root_url(sock),
        callback_retry_delay_s=0.01,
        callback_timeout_s=2.0,
        timeout_sleep_s=1.0,
    )
    return replace(config, **overrides)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_simulator() -> AsyncIterator[DuitkuSimulator]:
    sock = bind_loopback()
    simulator = build_simulator(_simulator_config(sock))
    async with serve(simulator.asgi_app, sock, lifespan="on"):
        yield simulator
    await simulator.aclose()


@pytest_asyncio.fixture(loop_scope="module")
async def start_simulator() -> AsyncIterator[Callable[..., Awaitable[DuitkuSimulator]]]:
    """Start extra simulators with `SimulatorConfig` overrides; stopped after the test.

    A simulator's `config.public_base_url` is the root it is served at.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def start(**overrides: Any) -> DuitkuSimulator:
            sock = bind_loopback()
            simulator = build_simulator(_simulator_config(sock, **overrides))
            stack.push_async_callback(simulator.aclose)
            await stack.enter_async_context(serve(simulator.asgi_app, sock, lifespan="on"))
            return simulator

        yield start


@pytest_asyncio.fixture(loop_scope="module")
async def simulator(shared_simulator: DuitkuSimulator, http: httpx.AsyncClient) -> DuitkuSimulator:
    """The module's simulator with default behaviour and no faults left by another test."""
    reset = await http.delete(f"{shared_simulator.config.public_base_url}/control/faults")
    reset.raise_for_status()
    return shared_simulator


@pytest.fixture
def backoff_sleeps() -> list[float]:
    return []


@pytest_asyncio.fixture(loop_scope="module")
async def make_gateway(
    callback_url: str, backoff_sleeps: list[float]
) -> AsyncIterator[Callable[..., DuitkuPaymentGateway]]:
    """Build the real adapter against `simulator` with DuitkuConfig overrides.

    Call as `make_gateway(simulator, **overrides)`. Status back-off is recorded, not slept.
    """
    clients: list[httpx.AsyncClient] = []

    async def no_sleep(delay: float) -> None:
        backoff_sleeps.append(delay)

    def build(simulator: DuitkuSimulator, **overrides: Any) -> DuitkuPaymentGateway:
        config = DuitkuConfig(
            merchant_code=DEV_MERCHANT_CODE,
            api_key=DEV_API_KEY,
            environment="simulator",
            base_url=f"{simulator.config.public_base_url}/webapi/api/merchant/",
            callback_url=callback_url,
            return_url="http://127.0.0.1:9/return",
            connect_timeout=2.0,
            read_timeout=5.0,
            total_timeout=8.0,
        )
        config = replace(config, **overrides)
        client = make_http_client(config)
        clients.append(client)
        return DuitkuPaymentGateway(config, client, sleep=no_sleep)

    yield build
    for client in clients:
        await client.aclose()


@pytest_asyncio.fixture(loop_scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A plain client for the simulator's control API (pay/fail/expire, faults)."""
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client
