"""A request body must arrive within a deadline: a client sending one byte a second is cut off.

uvicorn has no read timeout once a request's headers are in (its keep-alive timeout only runs
between requests), so a slow body would hold a connection, a task and a database-free slot for
as long as the client likes. The deadline starts when the app gets the request and covers the
whole body; past it the request answers 408 `request_timeout` and the connection is closed.
Once the body is complete, later `receive` calls (waiting for a disconnect) are not limited.
Slow headers never reach the app: the reverse proxy bounds them (docs/production.md).
"""

import asyncio
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

REQUEST_TIMEOUT = 408


def body_deadline_middleware(seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            loop = asyncio.get_running_loop()
            deadline = loop.time() + seconds
            complete = False

            async def receive_in_time() -> ReceiveMessage:
                nonlocal complete
                if complete:
                    return await receive()
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    raise HTTPException(
                        status_code=REQUEST_TIMEOUT,
                        detail="the request body did not arrive in time",
                        headers={"Connection": "close"},
                    ) from None
                complete = message["type"] != "http.request" or not message.get("more_body")
                return message

            await app(scope, receive_in_time, send)

        return middleware

    return factory
