"""A request id on every request and response, and on every log line written meanwhile."""

import re
from contextvars import ContextVar
from uuid import uuid4

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
_ACCEPTABLE = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Takes `X-Request-ID` from the request when it is sane, else makes one; echoes it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        given = b""
        for name, value in scope["headers"]:
            if name == HEADER:
                given = value
                break
        request_id = given.decode() if given and _ACCEPTABLE.match(given) else uuid4().hex
        header = (HEADER, request_id.encode())
        token = current_request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != HEADER]
                headers.append(header)  # the handler's own, if any, is replaced
                message["headers"] = headers
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)

    return middleware
