"""The client's address, trusting forwarding headers only from configured proxies."""

import ipaddress
from collections.abc import Iterable
from typing import Any

from litestar import Request

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Duitku's published callback source addresses (API.md §7.1).
DUITKU_CALLBACK_ADDRESSES = {
    "production": (
        "182.23.85.8",
        "182.23.85.9",
        "182.23.85.10",
        "182.23.85.13",
        "182.23.85.14",
        "103.177.101.184",
        "103.177.101.185",
        "103.177.101.186",
        "103.177.101.189",
        "103.177.101.190",
    ),
    "sandbox": ("182.23.85.11", "182.23.85.12", "103.177.101.187", "103.177.101.188"),
}


def networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse addresses and CIDR blocks; raises ValueError on a malformed entry."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _within(address: str, blocks: tuple[IPNetwork, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in block for block in blocks)


class ClientAddressResolver:
    """Finds the client address of a request.

    `X-Forwarded-For` is read only when the immediate peer is a trusted proxy; then the
    rightmost hop that is not itself a trusted proxy is the client. Anybody else can write any
    header, so from an untrusted peer the header is ignored.
    """

    def __init__(self, trusted_proxies: tuple[IPNetwork, ...] = ()) -> None:
        self._trusted = trusted_proxies

    def __call__(self, request: Request[Any, Any, Any]) -> str:
        peer = request.client.host if request.client else ""
        if not peer or not self._trusted or not _within(peer, self._trusted):
            return peer or "unknown"
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        for hop in reversed([hop for hop in hops if hop]):
            if not _within(hop, self._trusted):
                return hop if _is_address(hop) else peer
        return peer


class SourceAllowlist:
    """Which addresses may send gateway notifications; `None` allows every address."""

    def __init__(self, allowed: tuple[IPNetwork, ...] | None) -> None:
        self._allowed = allowed

    @property
    def enabled(self) -> bool:
        return self._allowed is not None

    def allows(self, address: str) -> bool:
        return self._allowed is None or _within(address, self._allowed)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
