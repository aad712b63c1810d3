"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that verifies every delivery
with the `standardwebhooks` library, as an integrator's receiver would.

One receiver serves several subscribers, one path each (`url(name)`), each with its own
secret (`secrets[name]`, set once the subscription answered it). `failing` makes it answer
500 (an outage) without reading the delivery; the subscribers in `stalled` hang until
`release` is set. Bounded: it stops when its context ends.
"""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from litestar import Litestar, Request, Response, post
from litestar.params import FromPath
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

START_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Received:
    name: str
    webhook_id: str
    payload: dict[str, Any]


@dataclass
class WebhookReceiver:
    secrets: dict[str, str] = field(default_factory=dict)
    accepted: list[Received] = field(default_factory=list)
    refused: int = 0
    failed_answers: int = 0
    failing: bool = False
    # Subscribers whose deliveries hang (unanswered) until `release` is set: a slow receiver.
    stalled: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def first_arrivals(self, name: str) -> list[Received]:
        """Each delivery once, by webhook-id, in the order it first arrived."""
        seen: set[str] = set()
        firsts: list[Received] = []
        for item in self.accepted:
            if item.name == name and item.webhook_id not in seen:
                seen.add(item.webhook_id)
                firsts.append(item)
        return firsts

    def app(self) -> Litestar:
        @post("/{name:str}", status_code=200)
        async def receive(name: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
            if self.failing:
                self.failed_answers += 1
                return Response({"down": True}, status_code=500)
            if name in self.stalled:
                await asyncio.wait_for(self.release.wait(), START_TIMEOUT * 3)
            body = await request.body()
            headers = dict(request.headers.items())
            try:
                payload = Webhook(self.secrets[name]).verify(body, headers)
            except (KeyError, WebhookVerificationError):
                self.refused += 1
                return Response({"refused": True}, status_code=400)
            self.accepted.append(Received(name, headers["webhook-id"], payload))
            return Response(None, status_code=204)

        return Litestar(route_handlers=[receive], openapi_config=None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(port=free_port())
    config = uvicorn.Config(
        receiver.app(), host="127.0.0.1", port=receiver.port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started, within=START_TIMEOUT, what="receiver start")
        yield receiver
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def eventually(check: Callable[[], bool], *, within: float, what: str) -> None:
    """Wait until `check()` holds; fail after `within` seconds (a bound, not an assertion
    about speed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)
