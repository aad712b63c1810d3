"""Security headers on every answer, kasir's and the mounted simulator's alike.

An API answer is never a page: it may not be framed, sniffed into another type or leak the
URL it came from, and its CSP allows nothing at all (an SVG QR code or an error body opened
in a browser runs no script). HTML pages get a CSP that allows only kasir's own assets and
forms. HSTS is sent only when kasir is served over https (PUBLIC_BASE_URL), since a browser
that got it over plain http on a restaurant LAN would refuse the address afterwards.
A header the handler set itself is kept.
"""

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"

_COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def security_headers(*, https: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: it sees every answer, the router's own 404 and 405 included
    (route middleware never runs for those). `https` adds Strict-Transport-Security."""
    common = _COMMON + (((b"strict-transport-security", HSTS.encode()),) if https else ())

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = with_security_headers(list(message.get("headers", [])), common)

    return add_headers


def with_security_headers(
    headers: list[tuple[bytes, bytes]], common: tuple[tuple[bytes, bytes], ...] = _COMMON
) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    csp = PAGE_CSP if content_type.lower().startswith(b"text/html") else API_CSP
    for name, value in (*common, (b"content-security-policy", csp.encode())):
        if name not in present:
            headers.append((name, value))
    return headers
