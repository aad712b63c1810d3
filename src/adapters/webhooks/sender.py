"""Delivers one outbox event to one subscriber over HTTP, signed per Standard Webhooks.

The URL's host is resolved and checked (application.destinations) at every attempt, and the
request goes to the address that was checked: the URL is rewritten to that address, the
`Host` header and the TLS server name (SNI, also what the certificate is verified against)
keep the host name. No DNS lookup happens between the check and the connection, so a name
that changes its answer (DNS rebinding) cannot steer the request elsewhere.

Signing uses the `standardwebhooks` library: `webhook-id` is the event id (the same on every
retry and replay, so receivers deduplicate on it), `webhook-timestamp` the wall-clock second
of the attempt, `webhook-signature` `v1,` + base64(HMAC-SHA256(secret, id.timestamp.body)).
Redirects are not followed, proxies from the environment are not used, and the answer's body
is never read (only its status).
"""

import asyncio
import ipaddress
import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from math import floor

import httpx
from standardwebhooks.webhooks import Webhook

from application.destinations import (
    CheckedDestination,
    DestinationPolicy,
    Resolver,
    UnsafeDestination,
    checked,
)
from application.outbox import OutboxEvent
from application.webhooks import Attempt

USER_AGENT = "kasir-webhooks/1"


class SystemResolver:
    """The operating system's resolver (getaddrinfo), without blocking the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


def body_of(event: OutboxEvent) -> str:
    """The exact JSON text that is signed and sent."""
    return json.dumps(event.payload, separators=(",", ":"), sort_keys=True)


def signed_headers(secret: str, event: OutboxEvent, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` signed with `secret` at `at`."""
    return {
        "webhook-id": event.id,
        "webhook-timestamp": str(floor(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event.id, at, body),
    }


class HttpWebhookSender:
    """One attempt per call; the answer is an Attempt, never an exception."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        policy: DestinationPolicy,
        resolver: Resolver,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._policy = policy
        self._resolver = resolver
        self._wall_clock = wall_clock

    async def send(self, url: str, secret: str, event: OutboxEvent) -> Attempt:
        try:
            destination = await checked(self._policy, self._resolver, url)
        except UnsafeDestination as refused:
            return Attempt(None, f"destination refused: {refused}")
        body = body_of(event)
        headers = {
            **signed_headers(secret, event, body, self._wall_clock()),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": _host_header(destination),
        }
        target = destination.target
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            async with self._client.stream(
                "POST",
                _address_url(destination),
                content=body.encode(),
                headers=headers,
                extensions=extensions,
            ) as response:
                status = response.status_code
        except httpx.TimeoutException:
            return Attempt(None, "timed out")
        except httpx.HTTPError as error:
            return Attempt(None, f"no answer: {type(error).__name__}")
        return Attempt(status, None if 200 <= status < 300 else f"answered {status}")


def _host_header(destination: CheckedDestination) -> str:
    target = destination.target
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _address_url(destination: CheckedDestination) -> str:
    target = destination.target
    address = ipaddress.ip_address(destination.address)
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"{target.scheme}://{host}:{target.port}{target.path}"


MAX_CONNECTIONS = 100


def http_client(timeout_seconds: float, connections: int = MAX_CONNECTIONS) -> httpx.AsyncClient:
    """The client every delivery of this process shares: bounded, no redirects, no proxies
    from the environment."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        follow_redirects=False,
        trust_env=False,
    )
