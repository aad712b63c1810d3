"""Assembly of a simulator's ASGI app, the same for every gateway: kasir's input guard in
front, every error (unknown path, wrong method, crash) answered in the gateway's own error
shape, no OpenAPI, no logging setup; and a mount that serves it inside a host Litestar app.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException
from litestar.handlers import ASGIRouteHandler, HTTPRouteHandler, asgi
from litestar.types import BeforeMessageSendHookHandler, Receive, Scope, Send
from litestar.utils.scope.state import CONNECTION_STATE_KEY

from entrypoints.http.input_guard import input_guard_middleware

Clock = Callable[[], datetime]
ErrorReply = Callable[[int, str], Response[bytes]]
"""A gateway's error answer for an HTTP status and a message."""

_logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """A simulator's default clock: the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def simulator_app(
    route_handlers: Sequence[HTTPRouteHandler],
    *,
    error_reply: ErrorReply,
    crash_message: str,
    on_shutdown: Callable[[], Any],
    before_send: Sequence[BeforeMessageSendHookHandler] = (),
) -> Litestar:
    """The Litestar app serving one simulator's routes."""

    def http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
        # Unknown paths and wrong methods answer in the gateway's error shape as well.
        return error_reply(error.status_code, str(error.detail))

    def crash(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
        _logger.error(
            "simulator crashed on %s %s", request.method, request.url.path, exc_info=error
        )
        return error_reply(500, crash_message)

    return Litestar(
        route_handlers=list(route_handlers),
        on_shutdown=[on_shutdown],
        # The same refusal of control characters and malformed input as kasir's own routes.
        middleware=[input_guard_middleware],
        exception_handlers={HTTPException: http_error, Exception: crash},
        openapi_config=None,
        before_send=list(before_send),
        # Logging belongs to whoever runs the simulator; Litestar's default config
        # would reconfigure the root logger of a test session or host process.
        logging_config=None,
    )


def simulator_mount(
    app: Callable[[Scope, Receive, Send], Any], path: str, name: str
) -> ASGIRouteHandler:
    """A route handler that mounts a simulator's ``app`` under ``path`` in a host Litestar
    app. ASGI mounts never appear in the host's OpenAPI schema."""

    async def forward(scope: Scope, receive: Receive, send: Send) -> None:
        # The host already cached its own view of this connection (URL, handlers...)
        # in the scope state; the inner app must build its own.
        scope["state"] = {
            key: value
            for key, value in scope.get("state", {}).items()
            if key != CONNECTION_STATE_KEY
        }
        await app(scope, receive, send)

    return asgi(path, is_mount=True, copy_scope=True, name=name)(forward)
