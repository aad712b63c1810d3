"""What a request may send, refused before any other work: no 500 and no database call for it.

Three parts, in the order a request meets them:

- **The body's deadline** (`body_deadline_middleware`, app-wide): a request body must arrive
  within a deadline, so a client sending one byte a second is cut off. uvicorn has no read
  timeout once a request's headers are in (its keep-alive timeout only runs between requests),
  so a slow body would hold a connection, a task and a database-free slot for as long as the
  client likes. The deadline starts when the app gets the request and covers the whole body;
  past it the request answers 408 `request_timeout` and the connection is closed. Once the
  body is complete, later `receive` calls (waiting for a disconnect) are not limited. Slow
  headers never reach the app: the reverse proxy bounds them (docs/production.md).
- **The text rules**: which characters a text value may hold. PostgreSQL refuses a NUL in
  text (`invalid byte sequence for encoding "UTF8": 0x00`) and SQLite stores it silently;
  other C0 controls and DEL break logs, CSV exports and receipts. So every value that comes in
  from the outside is refused (400) when it holds one, before any database call. Free-text
  notes may hold tab, line feed and carriage return; nothing else may. The schemas' field
  patterns (`schemas.constraints`) are built from the same rules.
- **The input guard** (`input_guard_middleware`): an app-level middleware, so it runs after
  routing (it knows the route handler and its signature) and before authentication, the
  idempotency middleware and the handler. It refuses:

  - a control character anywhere in the path or the query string (400 `invalid_request`);
  - a path id that is not ASCII digits (Litestar's `int` parser reads fullwidth digits and
    `1_0`), and an integer query parameter that is not ASCII digits (`1e1`, `+1`);
  - a date-time query parameter without a time zone;
  - on a handler that takes a JSON body: a body without a JSON media type (415
    `unsupported_media_type`), and a body that does not decode, strictly, into the handler's
    type: malformed JSON, invalid UTF-8, nesting too deep, `"70000"`, `70000.0` or `1e5` for
    an integer, a control character in a text field (the field patterns in
    schemas.constraints).

  Litestar decodes the body again afterwards (leniently, from the same bytes), so the handler
  sees exactly what was checked here. Mounted ASGI apps (the Duitku simulator) are left alone.
"""

import asyncio
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from litestar.typing import FieldDefinition

# The text rules.

# C0 controls, DEL and the C1 controls (U+0080..U+009F): never part of a name, id or note.
# Written as regex escapes, so the patterns in the OpenAPI document stay printable.
CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f"
_FREE_TEXT_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"

# For msgspec.Meta(pattern=...): a whole value without control characters.
SINGLE_LINE = f"^[^{CONTROL_CHARACTERS}]*$"
# Notes typed by staff may hold tabs and line breaks.
FREE_TEXT = f"^[^{_FREE_TEXT_CONTROLS}]*$"

_ANY_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
ASCII_DIGITS = re.compile(r"[0-9]+")


def has_control_characters(text: str) -> bool:
    """True when `text` holds a character no identifier or single-line text may hold."""
    return _ANY_CONTROL.search(text) is not None


def is_ascii_digits(text: str) -> bool:
    """True for `0`-`9` only: no sign, no spaces, no `_`, no fullwidth or other digits."""
    return ASCII_DIGITS.fullmatch(text) is not None


# The body's deadline.

REQUEST_TIMEOUT = 408


def body_deadline_middleware(seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    """Cut a request off with 408 when its body is not complete `seconds` after it arrived."""

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


# The input guard.

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
DEFAULT_MAX_BODY = 64 * 1024


def input_guard_middleware(app: ASGIApp) -> ASGIApp:
    """Refuse malformed input on kasir's own route handlers (see the module docstring)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if scope["type"] != ScopeType.HTTP or not isinstance(handler, HTTPRouteHandler):
            await app(scope, receive, send)
            return
        _check_path(scope)
        _check_query(scope, handler)
        body_type = _body_type(handler)
        if body_type is not None:
            body, receive = await _buffered(receive, _max_body(scope, handler))
            if body != b"":  # no body at all: the handler answers that itself (400)
                _check_json_media_type(scope)
            if body:
                _check_json_body(body, body_type)
        await app(scope, receive, send)

    return middleware


# The JSON body type of each handler function, worked out on its first request: it depends
# on the function's signature only, which the copies of a handler in several apps share.
_BODY_TYPES: dict[object, Any] = {}


def _body_type(handler: HTTPRouteHandler) -> Any | None:
    try:
        return _BODY_TYPES[handler.fn]
    except KeyError:
        body_type = _BODY_TYPES[handler.fn] = _json_body_type(handler)
        return body_type


def _refuse(message: str, *, key: str | None = None) -> ValidationException:
    detail: dict[str, Any] = {"message": message, "source": "input"}
    if key is not None:
        detail["key"] = key
    return ValidationException(detail=message, extra=[detail])


def _check_path(scope: Scope) -> None:
    path: str = scope["path"]
    if has_control_characters(path):
        raise _refuse("the path holds a control character")
    template: str = scope.get("path_template", "")
    params: dict[str, Any] = scope.get("path_params", {})
    segments, names = path.split("/"), template.split("/")
    if len(segments) != len(names):
        return
    for segment, name in zip(segments, names, strict=True):
        if not (name.startswith("{") and name.endswith("}")):
            continue
        key = name[1:-1].split(":", 1)[0]
        if isinstance(params.get(key), int) and not is_ascii_digits(segment):
            raise _refuse("a path id is ASCII digits only", key=key)


def _check_query(scope: Scope, handler: HTTPRouteHandler) -> None:
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    fields = handler.parsed_fn_signature.parameters
    for name, value in pairs:
        if has_control_characters(name) or has_control_characters(value):
            raise _refuse("the query string holds a control character", key=name)
        field = fields.get(name)
        if field is None or _is_body(field):
            continue
        if _is(field, int) and not is_ascii_digits(value):
            raise _refuse("an integer is ASCII digits only", key=name)
        if _is(field, datetime):
            try:
                msgspec.convert(value, AwareDatetime)
            except msgspec.ValidationError:
                raise _refuse(
                    "a date-time needs a time zone (e.g. 2020-01-01T00:00:00+07:00)", key=name
                ) from None


def _is(field: FieldDefinition, kind: type) -> bool:
    """True when the parameter's type is `kind` or an optional `kind` (bool is not an int)."""
    if field.is_optional:
        return any(inner.annotation is kind for inner in field.inner_types)
    return field.annotation is kind


def _is_body(field: FieldDefinition) -> bool:
    return isinstance(field.kwarg_definition, BodyKwarg)


def _json_body_type(handler: HTTPRouteHandler) -> Any | None:
    """The type of the handler's JSON body (`data`), None when it takes none."""
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    kwarg = field.kwarg_definition
    if isinstance(kwarg, BodyKwarg) and "json" not in str(kwarg.media_type).lower():
        return None
    return field.annotation


def _media_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def _check_json_media_type(scope: Scope) -> None:
    media_type = _media_type(scope)
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    raise HTTPException(
        status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        detail="the body must be JSON (Content-Type: application/json)",
    )


def _check_json_body(body: bytes, body_type: Any) -> None:
    try:
        msgspec.json.decode(body, type=body_type, strict=True)
    except msgspec.ValidationError as error:
        raise _refuse(str(error)) from None
    except msgspec.DecodeError:
        raise _refuse("the body is not well-formed JSON") from None
    except UnicodeDecodeError:
        raise _refuse("the body is not valid UTF-8") from None
    except RecursionError:
        raise _refuse("the body is nested too deeply") from None


def _max_body(scope: Scope, handler: HTTPRouteHandler) -> int:
    limit = handler.resolve_request_max_body_size()
    if limit is None:
        app = scope.get("litestar_app")
        limit = getattr(app, "request_max_body_size", None)
    return limit or DEFAULT_MAX_BODY


async def _buffered(receive: Receive, limit: int) -> tuple[bytes | None, Receive]:
    """Read the body (up to `limit`) and a `receive` that hands the same messages out again.

    None instead of the body when it is larger than `limit`: the handler refuses it (413).
    """
    messages: list[ReceiveMessage] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > limit or not message.get("more_body", False):
            break
    pending = list(messages)

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    if size > limit or messages[-1]["type"] != "http.request":
        return None, replay
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    return body, replay
