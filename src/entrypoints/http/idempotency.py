"""The `Idempotency-Key` header on the endpoints that create something.

`idempotency_middleware` is built once with the app and wraps only the routes that create
something (the `creating` router of `entrypoints.http.app`, which refuses to start when an
opted-in handler is outside it); it acts only on the route handlers that opt in
(`opt=IDEMPOTENT` in their decorator). Without the header the request runs as usual.
With it:

- the key must be 1 to 255 printable ASCII characters, else 400 `invalid_request`;
- the key is scoped by endpoint and caller: the staff member, else a hash of the order token,
  else the client address, so one caller never sees another's answers; a caller known only by
  its address (customers behind one NAT share it) must send at least 16 characters;
- the same key with the same request (method, path, canonical body) gets the first answer
  again (status, body, content type; header `Idempotent-Replayed: true`) for 24 hours;
- the same key with a different request gets 422 `idempotency_key_reused`;
- a kept answer that no longer opens (KASIR_SECRET_KEY changed) gets 422
  `idempotency_key_unreadable`;
- while the first request with the key still runs, 409 `idempotency_key_in_flight` with
  Retry-After;
- answers that invite a retry (5xx, 502 and 504 included, 429, anything with Retry-After) are
  not stored: the key is released and the retry runs again.

The answer is stored (its body sealed with KASIR_SECRET_KEY) before it is sent, so a client
never receives an answer that a retry would not replay. Keys live in the database
(application.idempotency) with an in-flight lease, so several processes share them and a key
whose process died frees itself.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.params import HeaderParameter
from litestar.types import ASGIApp, HTTPScope, Message, Receive, ReceiveMessage, Scope, Send

from application.callers import OrderTokenHolder
from application.idempotency import (
    MAX_KEY_LENGTH,
    MIN_ANONYMOUS_KEY_LENGTH,
    Decision,
    StoredResponse,
    Ticket,
    is_storable,
    is_valid_key,
    request_fingerprint,
)
from application.use_cases.idempotent_requests import IdempotentRequests
from entrypoints.http.auth import ORDER_TOKEN_HEADER, StaffAuthenticator
from entrypoints.http.client_address import ClientAddressResolver
from entrypoints.http.errors import ErrorBody, ErrorDetail

HEADER = "Idempotency-Key"
_HEADER = HEADER.lower().encode()
REPLAYED_HEADER = b"idempotent-replayed"
# Bodies above this are not buffered here: the handler refuses them (413) on its own.
MAX_BUFFERED_BODY = 64 * 1024
_ANONYMOUS = "client:"  # the scope prefix of a caller known only by its address
# The route handlers' `opt` that turns the header on for them.
IDEMPOTENT_OPT = "idempotency_key"
IDEMPOTENT: dict[str, Any] = {IDEMPOTENT_OPT: True}

logger = logging.getLogger("kasir.idempotency")

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        required=False,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=r"^[ -~]{1,255}$",
        description=(
            "Optional client-chosen key (1-255 printable ASCII characters, e.g. a UUID; at "
            "least 16 without a staff or order token) that makes a retry safe: the same key "
            "with the same request returns the first answer again for 24 hours; with a "
            "different request it is refused (422 "
            "idempotency_key_reused); while the first is still running, 409 "
            "idempotency_key_in_flight with Retry-After. Scoped by endpoint and caller."
        ),
    ),
]


def idempotency_middleware(
    requests: Callable[[], IdempotentRequests],
    authenticator: Callable[[], StaffAuthenticator],
    client_address: Callable[[], ClientAddressResolver],
) -> Callable[[ASGIApp], ASGIApp]:
    """Honour `Idempotency-Key` on the handlers that opt in (see the module docstring)."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            key = _header(scope, _HEADER)
            if (
                scope["type"] != ScopeType.HTTP
                or scope.get("method") != "POST"
                or key is None
                or not _opted_in(scope)
            ):
                await app(scope, receive, send)
                return
            text = key.decode("latin-1").strip()
            if not is_valid_key(text):
                await _send_error(
                    send,
                    400,
                    "invalid_request",
                    f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
                )
                return
            request: Request[Any, Any, Any] = Request(scope)
            caller = await _caller(request, authenticator(), client_address())
            if not is_valid_key(text, anonymous=caller.startswith(_ANONYMOUS)):
                await _send_error(
                    send,
                    400,
                    "invalid_request",
                    f"without a staff or order token, {HEADER} must have at least "
                    f"{MIN_ANONYMOUS_KEY_LENGTH} characters (a UUID is ideal)",
                )
                return
            body, replay, complete = await _buffer_body(receive)
            if not complete:
                await app(scope, replay, send)
                return
            await _run_once(app, scope, replay, send, text, body, caller, requests())

        return middleware

    return factory


def _opted_in(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get(IDEMPOTENT_OPT))


async def _run_once(
    app: ASGIApp,
    scope: HTTPScope,
    receive: Receive,
    send: Send,
    key: str,
    body: bytes,
    caller: str,
    requests: IdempotentRequests,
) -> None:
    path = scope["path"].rstrip("/") or "/"
    query = scope.get("query_string", b"").decode("latin-1")
    begun = await requests.begin(
        scope=f"{scope['method']} {path} {caller}",
        key=key,
        fingerprint=request_fingerprint(scope["method"], path, body, query),
    )
    if begun.decision is Decision.MISMATCH:
        await _send_error(
            send,
            422,
            "idempotency_key_reused",
            f"this {HEADER} was already used for a different request",
        )
        return
    if begun.decision is Decision.UNREADABLE:
        await _send_error(
            send,
            422,
            "idempotency_key_unreadable",
            f"the answer kept for this {HEADER} cannot be read (the server's secret key "
            "changed); the request was already processed: check its result before retrying "
            "with a new key",
        )
        return
    if begun.decision is Decision.IN_FLIGHT:
        await _send_error(
            send,
            409,
            "idempotency_key_in_flight",
            f"a request with this {HEADER} is still being processed",
            retry_after=begun.retry_after,
        )
        return
    if begun.response is not None:
        await _send_stored(send, begun.response)
    elif begun.ticket is not None:
        await _run_and_store(app, scope, receive, send, requests, begun.ticket)


async def _run_and_store(
    app: ASGIApp,
    scope: HTTPScope,
    receive: Receive,
    send: Send,
    requests: IdempotentRequests,
    ticket: Ticket,
) -> None:
    captured = _CapturedResponse()
    try:
        await app(scope, receive, captured.send)
    except BaseException:
        await _quietly(asyncio.shield(requests.abandon(ticket)), "release")
        raise
    stored = captured.stored()
    if stored is not None and is_storable(stored.status_code, captured.headers):
        await _quietly(requests.finish(ticket, stored), "store the answer under")
    else:
        await _quietly(requests.abandon(ticket), "release")
    await captured.replay(send)


async def _quietly(call: Awaitable[Any], action: str) -> None:
    """The request itself is done: a storage failure here is logged, never sent instead."""
    try:
        await call
    except Exception:
        logger.exception("could not %s an idempotency key", action)


async def _caller(
    request: Request[Any, Any, Any],
    authenticator: StaffAuthenticator,
    client_address: ClientAddressResolver,
) -> str:
    staff = await authenticator.identify(request.headers.get("Authorization"))
    if staff is not None:
        return f"staff:{staff.staff_id}"
    token = request.headers.get(ORDER_TOKEN_HEADER)
    if token:
        return f"order-token:{OrderTokenHolder.presenting(token).token_hash}"
    return f"{_ANONYMOUS}{client_address(request)}"


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", []) if key.lower() == name), None)


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive, bool]:
    """Read the body (up to MAX_BUFFERED_BODY) and a `receive` that hands it out again.

    The third value is False when the body was larger: the replayed messages then continue
    with the rest, unread, for the handler to refuse.
    """
    messages: list[ReceiveMessage] = []
    size = 0
    complete = False
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            complete = True  # disconnected: nothing more will come
            break
        size += len(message["body"])
        if size > MAX_BUFFERED_BODY:
            break
        if not message.get("more_body", False):
            complete = True
            break
    body = b"".join(m["body"] for m in messages if m["type"] == "http.request")

    async def replay() -> ReceiveMessage:
        if messages:
            return messages.pop(0)
        return await receive()

    return body, replay, complete


class _CapturedResponse:
    """Holds the wrapped handler's answer until it is stored, then sends it on unchanged."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.status_code: int | None = None
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.finished = False

    async def send(self, message: Message) -> None:
        self.messages.append(message)
        if message["type"] == "http.response.start":
            self.status_code = int(message["status"])
            self.headers = {
                name.decode("latin-1").lower(): value.decode("latin-1")
                for name, value in message.get("headers", [])
            }
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))
            self.finished = not message.get("more_body", False)

    def stored(self) -> StoredResponse | None:
        if self.status_code is None or not self.finished:
            return None
        return StoredResponse(
            status_code=self.status_code,
            body=bytes(self.body),
            content_type=self.headers.get("content-type"),
        )

    async def replay(self, send: Send) -> None:
        for message in self.messages:
            await send(message)


async def _send_stored(send: Send, response: StoredResponse) -> None:
    headers = [
        (b"content-length", str(len(response.body)).encode()),
        (REPLAYED_HEADER, b"true"),
    ]
    if response.content_type:
        headers.append((b"content-type", response.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})


async def _send_error(
    send: Send, status: int, code: str, message: str, *, retry_after: int | None = None
) -> None:
    body = msgspec.json.encode(ErrorBody(error=ErrorDetail(code=code, message=message)))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
