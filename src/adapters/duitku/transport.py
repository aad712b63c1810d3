"""HTTP to Duitku: the shared client, JSON POSTs, the mapping of failures to port errors,
and the one log line each exchange with Duitku writes (logger `kasir.duitku`; its callbacks
too), never with the API key or a signature.

- GatewayUnavailable: the request never reached Duitku (connection refused, connect or pool
  timeout), Duitku failed (5xx), or it answered something unreadable (`UnexpectedAnswer`).
- GatewayTimeout: the request may have reached Duitku but no complete answer came back (read
  or write timeout, total deadline, connection dropped mid-answer): outcome unknown.
- GatewayRejected: Duitku answered 4xx; its `{"Message": ...}` becomes the error's detail.

The gateway refines this per operation (a 5xx to an inquiry is an unknown outcome; only
Duitku's own 400 "Transaction not found" means an unknown order).
"""

import asyncio
import logging
import re
import time
from typing import TypeVar

import httpx
import msgspec
from tenacity import RetryCallState

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.schemas import ErrorBody
from application.errors import GatewayError, GatewayRejected, GatewayTimeout, GatewayUnavailable

_T = TypeVar("_T")

_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_MAX_DETAIL = 500
_MAX_SNIPPET = 200
# A body that echoes our request would carry the signature into details and logs.
_HEX_RUN = re.compile(r"[0-9a-fA-F]{16,}")

# Raised before any byte of the request could have reached Duitku: safe to call it unavailable.
_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


class UnexpectedAnswer(GatewayUnavailable):
    """Duitku answered, but not in a form we understand (bad JSON, unknown status, 3xx).

    Asking again would get the same answer, and Duitku blocks clients that call
    transactionStatus repeatedly, so status checks do not retry this one.
    """


def make_http_client(
    config: DuitkuConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one shared AsyncClient for Duitku, with bounded timeouts and connection limits.

    The composition root creates it at start-up and closes it at shutdown (`await
    client.aclose()`); `transport` lets tests plug in `httpx.MockTransport`.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=config.connect_timeout,
            read=config.read_timeout,
            write=config.write_timeout,
            pool=config.pool_timeout,
        ),
        limits=httpx.Limits(
            max_connections=config.max_connections,
            max_keepalive_connections=config.max_connections,
        ),
        follow_redirects=False,
        headers={"User-Agent": "kasir-duitku/1"},
        transport=transport,
    )


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: msgspec.Struct,
    *,
    operation: str,
    total_timeout: float,
) -> httpx.Response:
    """POST `body` as JSON and return the response of any HTTP status.

    Transport failures become GatewayUnavailable (not sent) or GatewayTimeout (maybe taken).
    """
    try:
        # httpx's read timeout is per chunk; the total deadline also bounds a slow trickle.
        async with asyncio.timeout(total_timeout):
            return await client.post(url, content=msgspec.json.encode(body), headers=_JSON_HEADERS)
    except _NOT_SENT_ERRORS as exc:
        raise GatewayUnavailable(
            f"Duitku could not be reached ({operation})", detail=type(exc).__name__
        ) from exc
    except (httpx.TimeoutException, TimeoutError) as exc:
        raise GatewayTimeout(
            f"Duitku did not answer in time ({operation}); the outcome is unknown",
            detail=type(exc).__name__,
        ) from exc
    except httpx.HTTPError as exc:
        # The connection broke after the request went out: Duitku may have acted on it.
        raise GatewayTimeout(
            f"Duitku's answer was lost ({operation}); the outcome is unknown",
            detail=type(exc).__name__,
        ) from exc


def decode_json(
    response: httpx.Response,
    type_: type[_T],
    *,
    error: type[GatewayError] = UnexpectedAnswer,
) -> _T:
    """The response body decoded as `type_`; `error` (UnexpectedAnswer by default) when it is
    not that JSON."""
    try:
        return msgspec.json.decode(response.content, type=type_)
    except msgspec.DecodeError as exc:
        raise error(
            "Duitku answered with a body that is not the expected JSON",
            detail=f"HTTP {response.status_code}: {snippet(response)}",
        ) from exc


def http_error(response: httpx.Response, rejected_message: str) -> Exception:
    """The port error for a non-200 answer: 4xx rejected, 5xx unavailable, else unexpected."""
    status_code = response.status_code
    detail = error_message(response) or f"HTTP {status_code}"
    if 400 <= status_code < 500:
        return GatewayRejected(f"{rejected_message}: HTTP {status_code}", detail=detail)
    if status_code >= 500:
        return GatewayUnavailable(f"Duitku failed: HTTP {status_code}", detail=detail)
    return UnexpectedAnswer(f"Duitku answered with unexpected HTTP {status_code}", detail=detail)


def duitku_message(response: httpx.Response) -> str | None:
    """The `Message` of Duitku's own JSON error body, unclipped; None for any other body."""
    try:
        body = msgspec.json.decode(response.content, type=ErrorBody)
    except msgspec.DecodeError:
        return None
    return body.message


def error_message(response: httpx.Response) -> str | None:
    """Duitku's `Message` from an error body, else a short excerpt of the body, else None."""
    try:
        body = msgspec.json.decode(response.content, type=ErrorBody)
    except msgspec.DecodeError:
        return snippet(response) or None
    return clip(body.message) or snippet(response) or None


def snippet(response: httpx.Response) -> str:
    """The body's first characters, whitespace collapsed and hex digests masked."""
    return _HEX_RUN.sub("[hex]", " ".join(response.text.split()))[:_MAX_SNIPPET]


def clip(text: str | None) -> str | None:
    """`text` for an error detail: hex digests masked, bounded length; None when empty."""
    return _HEX_RUN.sub("[hex]", text)[:_MAX_DETAIL] if text else None


# The log line of each exchange.

logger = logging.getLogger("kasir.duitku")

_MAX_LOGGED_ORDER_ID = 64


def log_call(
    operation: str,
    order_id: str | None,
    http_status: int | None,
    error: Exception | None,
    started: float,
    **fields: object,
) -> None:
    """Log a call's operation, merchantOrderId, HTTP status, outcome and duration.

    `started` is a `time.perf_counter()` reading. The order id may come from an
    unauthenticated callback, so it is clipped and logged with repr() to neutralise control
    characters. Errors are logged by their message and detail, which never hold secrets.
    """
    duration_ms = (time.perf_counter() - started) * 1000
    outcome = "ok" if error is None else type(error).__name__
    safe_order_id = None if order_id is None else order_id[:_MAX_LOGGED_ORDER_ID]
    details = "".join(f" {key}={value}" for key, value in fields.items())
    if error is not None:
        detail = getattr(error, "detail", None)
        details += f" error={str(error)!r}" + (f" detail={detail!r}" if detail else "")
    logger.log(
        logging.INFO if error is None else logging.WARNING,
        "duitku %s merchantOrderId=%r http_status=%s outcome=%s duration_ms=%.1f%s",
        operation,
        safe_order_id,
        http_status if http_status is not None else "-",
        outcome,
        duration_ms,
        details,
        extra={
            "duitku_operation": operation,
            "merchant_order_id": safe_order_id,
            "http_status": http_status,
            "outcome": outcome,
            "duration_ms": round(duration_ms, 1),
        },
    )


def log_retry(state: RetryCallState) -> None:
    """tenacity `before_sleep` hook: say which attempt failed and how long we wait."""
    error = state.outcome.exception() if state.outcome else None
    logger.warning(
        "duitku transactionStatus attempt %d failed (%s); retrying in %.2fs",
        state.attempt_number,
        type(error).__name__,
        state.upcoming_sleep,
    )
