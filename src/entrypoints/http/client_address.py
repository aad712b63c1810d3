"""The client's address, and what kasir decides by it.

- `ClientAddressResolver`: the address, trusting forwarding headers only from configured
  proxies.
- `SourceAllowlist`: which addresses may send a gateway's notifications.
- `WindowLimiter`: sliding-window counts per address (failed notifications, successful
  creations).
"""

import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
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


class WindowLimiter:
    """At most `limit` counted events per address in a sliding `window` seconds, per process.

    The caller decides what counts: failed verifications for the webhook, successful
    creations for orders and QRIS payments; never what the genuine caller needs to get through.

    For the webhook: once an address is over the limit, whatever fails verification from it
    is refused before anything is stored, so a flood of forgeries costs no database write;
    what verifies still goes through (the caller checks that). Memory is bounded: the least
    recently seen addresses are forgotten beyond `max_addresses`.
    """

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._max = max_addresses
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float]:
        now = self._clock()
        failures = self._failures.get(address)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= self._window:
            failures.popleft()
        return failures

    def blocked(self, address: str) -> bool:
        return self._limit > 0 and len(self._recent(address)) >= self._limit

    def retry_after(self, address: str) -> int:
        failures = self._recent(address)
        if not failures:
            return 1
        return max(1, int(self._window - (self._clock() - failures[0])) + 1)

    def record(self, address: str) -> None:
        if self._limit <= 0:
            return
        failures = self._recent(address)
        failures.append(self._clock())
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > self._max:
            self._failures.popitem(last=False)
