"""Noticing that a client hung up, so a simulated timeout (a reply that never comes) ends
when the caller gives up rather than holding the connection open."""

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request


def disconnect_watcher(request: Request[Any, Any, Any]) -> Callable[[], Awaitable[None]]:
    """Wait for the client to hang up; only valid once the body has been read."""

    async def client_gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    return client_gone
