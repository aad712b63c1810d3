"""Per-address limits on the public endpoints that create things, counting only what they create.

Litestar's own rate limiter counts every request before it is handled, so rejected requests
(an empty basket, a wrong amount, a missing token) used up the limit that everyone behind one
address shares: a restaurant's Wi-Fi, a phone network's NAT. Here a request is refused only when
its address already created `limit` things in the window, and an answer counts only when it is
not a client error (4xx): what was created, replayed, or cost a gateway call (502/504).

Requests of one address handled at the same moment are all checked before any is counted, so
the limit can be exceeded by the number of requests in flight (bounded by the server's
`limit_concurrency`). Counts are per process, like the limiter they replace.
"""

from collections.abc import Callable, Mapping
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.client_address import WindowLimiter

WINDOW_SECONDS = 60.0


class CreationLimits:
    """One sliding-window counter per limited path (`POST` only)."""

    def __init__(
        self,
        paths: frozenset[str],
        per_minute: int,
        client_address: Callable[[Request[Any, Any, Any]], str],
    ) -> None:
        self.per_minute = per_minute
        self.paths = paths
        self.client_address = client_address
        self.counters: Mapping[str, WindowLimiter] = {
            path: WindowLimiter(per_minute, window=WINDOW_SECONDS) for path in paths
        }

    def counter_for(self, scope: Scope) -> WindowLimiter | None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "POST":
            return None
        return self.counters.get(scope["path"].rstrip("/") or "/")


def creation_limit_middleware(limits: CreationLimits) -> Callable[[ASGIApp], ASGIApp]:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            counter = limits.counter_for(scope)
            if counter is None:
                await app(scope, receive, send)
                return
            address = limits.client_address(Request(scope))
            if counter.blocked(address):
                raise TooManyRequestsException(
                    "too many created in the last minute from this address",
                    headers={"Retry-After": str(counter.retry_after(address))},
                )
            counted = False

            async def send_and_count(message: Message) -> None:
                nonlocal counted
                if message["type"] == "http.response.start" and not counted:
                    counted = True
                    if not 400 <= message["status"] < 500:
                        counter.record(address)
                await send(message)

            await app(scope, receive, send_and_count)

        return middleware

    return factory
