"""Where kasir may send a webhook: no server-side request forgery through a subscription.

A subscription's URL is checked when it is registered and again at every delivery, on the
addresses its host resolves to at that moment (a name can point elsewhere later); the
delivery then connects to the address that was checked, never resolving the name again.

Outside simulator mode:
- loopback, link-local, unspecified, multicast and reserved addresses are always refused
  (kasir itself, the cloud metadata service at 169.254.169.254, ...);
- any other non-public address (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10, ...) only
  when it lies in an allowed network (WEBHOOK_ALLOWED_PRIVATE_NETWORKS: a kitchen display on
  the restaurant's LAN);
- `https` is required, except to an address in an allowed network.
Every address the name resolves to must pass. In simulator mode every address is allowed,
so a newcomer's receiver on 127.0.0.1 works.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2000


class UnsafeDestination(Exception):
    """The URL may not receive webhooks; the message says why (never echoing credentials)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A URL taken apart: what to resolve and what to put back in the request."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as given


@dataclass(frozen=True, slots=True)
class CheckedDestination:
    """The target and the one address a delivery connects to."""

    target: Target
    address: str


class Resolver(Protocol):
    """Resolves a host name to its addresses (IPv4 and IPv6), as the OS would."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    """The rules above; `anywhere` is simulator mode."""

    allowed_networks: tuple[Network, ...] = ()
    anywhere: bool = False

    def target(self, url: str) -> Target:
        """The URL's parts, or UnsafeDestination when it is no http(s) URL kasir would call."""
        if len(url) > MAX_URL_LENGTH:
            raise UnsafeDestination(f"the URL is longer than {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise UnsafeDestination("not a valid URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeDestination("the URL must be http:// or https:// with a host")
        if parts.username is not None or parts.password is not None:
            raise UnsafeDestination("the URL must not carry credentials")
        if parts.fragment:
            raise UnsafeDestination("the URL must not have a fragment")
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        default = 443 if parts.scheme == "https" else 80
        return Target(parts.scheme, parts.hostname, port or default, path)

    def check(self, target: Target, addresses: Sequence[str]) -> CheckedDestination:
        """The address to connect to, when every address the host resolved to is allowed."""
        if not addresses:
            raise UnsafeDestination(f"{target.host} does not resolve")
        parsed = [_address(a) for a in addresses]
        if not self.anywhere:
            for address in parsed:
                self._allowed(address)
            if target.scheme != "https" and not all(self._in_allowed(a) for a in parsed):
                raise UnsafeDestination("https is required outside the allowed private networks")
        return CheckedDestination(target, str(parsed[0]))

    def _allowed(self, address: Address) -> None:
        if (
            address.is_loopback
            or address.is_link_local
            or address.is_unspecified
            or address.is_multicast
            or address.is_reserved
        ):
            raise UnsafeDestination(f"{target_kind(address)} addresses never receive webhooks")
        if not address.is_global and not self._in_allowed(address):
            raise UnsafeDestination(
                "a private address receives webhooks only when its network is in "
                "WEBHOOK_ALLOWED_PRIVATE_NETWORKS"
            )

    def _in_allowed(self, address: Address) -> bool:
        return any(address in network for network in self.allowed_networks)


def target_kind(address: Address) -> str:
    for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "private"


def _address(text: str) -> Address:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    # An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    """CIDR blocks (or single addresses); ValueError on anything else."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


async def checked(policy: DestinationPolicy, resolver: Resolver, url: str) -> CheckedDestination:
    """Resolve the URL's host now and check every address it gives."""
    target = policy.target(url)
    try:
        literal = ipaddress.ip_address(target.host.strip("[]"))
    except ValueError:
        try:
            addresses = await resolver.resolve(target.host, target.port)
        except OSError:
            raise UnsafeDestination(f"{target.host} does not resolve") from None
    else:
        addresses = [str(literal)]
    return policy.check(target, addresses)
