"""HTTP to Midtrans: the shared client, authenticated requests, and failures as port errors.

- GatewayUnavailable: the request never reached Midtrans (connection refused, name not
  resolved, connect or pool timeout), or it answered something unreadable.
- GatewayTimeout: the request may have reached Midtrans but no complete answer came back.
The gateway interprets answers per operation (a 5xx to a charge is an unknown outcome).
"""

import asyncio
import base64
import re
from typing import Literal

import httpx
import msgspec

from adapters.midtrans.config import MidtransConfig
from adapters.midtrans.schemas import TransactionAnswer
from application.errors import GatewayTimeout, GatewayUnavailable

_MAX_DETAIL = 300
# A body that echoes a signature or key must not carry it into details and logs.
_HEX_RUN = re.compile(r"[0-9a-fA-F]{16,}|(?:SB-)?Mid-server-[A-Za-z0-9_-]+")
_NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


class UnreadableAnswer(GatewayUnavailable):
    """Midtrans answered, but not with JSON kasir understands: asking again gets the same."""


def make_http_client(
    config: MidtransConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one shared AsyncClient for Midtrans: bounded timeouts, Basic auth with the server
    key (username, empty password), no redirects. Closed by whoever created it."""
    token = base64.b64encode(f"{config.server_key}:".encode()).decode()
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
        headers={
            "Accept": "application/json",
            "Authorization": f"Basic {token}",
            "User-Agent": "kasir-midtrans/1",
        },
        transport=transport,
    )


async def send(
    client: httpx.AsyncClient,
    method: Literal["GET", "POST"],
    url: str,
    *,
    operation: str,
    total_timeout: float,
    body: msgspec.Struct | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one request; any HTTP status is returned, transport failures become port errors."""
    content = None if body is None else msgspec.json.encode(body)
    all_headers = dict(headers or {})
    if content is not None:
        all_headers["Content-Type"] = "application/json"
    try:
        async with asyncio.timeout(total_timeout):
            return await client.request(method, url, content=content, headers=all_headers)
    except _NOT_SENT_ERRORS as exc:
        raise GatewayUnavailable(
            f"Midtrans could not be reached ({operation})", detail=type(exc).__name__
        ) from exc
    except (httpx.TimeoutException, TimeoutError) as exc:
        raise GatewayTimeout(
            f"Midtrans did not answer in time ({operation}); the outcome is unknown",
            detail=type(exc).__name__,
        ) from exc
    except httpx.HTTPError as exc:
        raise GatewayTimeout(
            f"Midtrans's answer was lost ({operation}); the outcome is unknown",
            detail=type(exc).__name__,
        ) from exc


def read_answer(response: httpx.Response) -> TransactionAnswer | None:
    """The body as a Midtrans transaction answer; None when it is not one (a proxy's page)."""
    try:
        return msgspec.json.decode(response.content, type=TransactionAnswer)
    except msgspec.DecodeError:
        return None


def answer_code(response: httpx.Response, answer: TransactionAnswer | None) -> int:
    """Midtrans's own status code (the body's, else the HTTP one)."""
    if answer is not None and answer.status_code and answer.status_code.isdigit():
        return int(answer.status_code)
    return response.status_code


def detail_of(response: httpx.Response, answer: TransactionAnswer | None) -> str:
    """Midtrans's message (or the body's start) for an error detail: bounded, keys masked."""
    text = (answer.status_message if answer is not None else None) or response.text
    return _HEX_RUN.sub("[masked]", " ".join(text.split()))[:_MAX_DETAIL] or (
        f"HTTP {response.status_code}"
    )
