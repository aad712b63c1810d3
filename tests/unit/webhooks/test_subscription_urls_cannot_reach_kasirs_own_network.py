"""No server-side request forgery through a webhook subscription: which addresses a URL may
resolve to (an injected resolver, no network), and that simulator mode allows them all."""

import pytest
from tests.support.resolvers import StaticResolver

from application.destinations import DestinationPolicy, UnsafeDestination, checked, parse_networks

LAN = DestinationPolicy(allowed_networks=parse_networks(["192.168.1.0/24"]))
STRICT = DestinationPolicy()
SIMULATOR = DestinationPolicy(anywhere=True)
NAMES = {
    "public.example": ["93.184.216.34"],
    "loop.example": ["127.0.0.1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "lan.example": ["192.168.1.20"],
    "other-lan.example": ["10.0.0.5"],
    "split.example": ["93.184.216.34", "10.0.0.5"],
    "v6.example": ["2606:2800:220:1:248:1893:25c8:1946"],
    "zero.example": ["0.0.0.0"],  # noqa: S104 - an address refused, never bound
    "multicast.example": ["224.0.0.1"],
}


@pytest.mark.parametrize(
    ("policy", "url", "address"),
    [
        (STRICT, "https://public.example/hook", "93.184.216.34"),
        (STRICT, "https://v6.example:8443/hook?x=1", "2606:2800:220:1:248:1893:25c8:1946"),
        (LAN, "http://lan.example:8080/kds", "192.168.1.20"),
        (LAN, "https://lan.example/kds", "192.168.1.20"),
        (SIMULATOR, "http://loop.example:8200/", "127.0.0.1"),
        (SIMULATOR, "http://127.0.0.1:8200/", "127.0.0.1"),
    ],
)
async def test_an_allowed_url_connects_to_the_address_that_was_checked(
    policy: DestinationPolicy, url: str, address: str
) -> None:
    destination = await checked(policy, StaticResolver(NAMES), url)
    assert destination.address == address


@pytest.mark.parametrize(
    ("policy", "url", "reason"),
    [
        (STRICT, "http://public.example/hook", "https is required"),
        (STRICT, "https://loop.example/", "loopback"),
        (LAN, "https://loop.example/", "loopback"),
        (STRICT, "https://[::1]/", "loopback"),
        (STRICT, "https://mapped.example/", "loopback"),
        (STRICT, "https://metadata.example/latest", "link-local"),
        (STRICT, "https://zero.example/", "unspecified"),
        (STRICT, "https://multicast.example/", "multicast"),
        (STRICT, "https://lan.example/", "WEBHOOK_ALLOWED_PRIVATE_NETWORKS"),
        (LAN, "https://other-lan.example/", "WEBHOOK_ALLOWED_PRIVATE_NETWORKS"),
        (LAN, "https://split.example/", "WEBHOOK_ALLOWED_PRIVATE_NETWORKS"),
        (STRICT, "https://unknown.example/", "does not resolve"),
        (STRICT, "ftp://public.example/", "http:// or https://"),
        (STRICT, "https://user:pass@public.example/", "credentials"),
        (STRICT, "https://public.example/#frag", "fragment"),
        (STRICT, "https://public.example:99999/", "not a valid URL"),
        (SIMULATOR, "https://unknown.example/", "does not resolve"),
    ],
)
async def test_a_forbidden_url_is_refused_with_its_reason(
    policy: DestinationPolicy, url: str, reason: str
) -> None:
    with pytest.raises(UnsafeDestination, match=reason):
        await checked(policy, StaticResolver(NAMES), url)


async def test_the_name_is_resolved_again_at_every_check() -> None:
    resolver = StaticResolver({"flip.example": ["93.184.216.34"]})
    await checked(STRICT, resolver, "https://flip.example/")
    resolver.answers["flip.example"] = ["127.0.0.1"]  # the name now points at kasir itself
    with pytest.raises(UnsafeDestination, match="loopback"):
        await checked(STRICT, resolver, "https://flip.example/")
    assert resolver.asked == ["flip.example", "flip.example"]
