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

Headers = tuple[tuple[bytes, bytes], ...]

_COMMON: Headers = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
_HSTS: Headers = ((b"strict-transport-security", HSTS.encode()),)
_CONTENT_TYPE = b"content-type"
_HTML = b"text/html"


def security_headers(*, https: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: it sees every answer, the router's own 404 and 405 included
    (route middleware never runs for those). `https` adds Strict-Transport-Security.

    Both sets of headers (API and page) are encoded once, here: an answer only appends them."""
    common = _COMMON + (_HSTS if https else ())
    api = (*common, (b"content-security-policy", API_CSP.encode()))
    page = (*common, (b"content-security-policy", PAGE_CSP.encode()))

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = with_security_headers(list(message.get("headers", ())), api, page)

    return add_headers


def with_security_headers(
    headers: list[tuple[bytes, bytes]], api: Headers, page: Headers
) -> list[tuple[bytes, bytes]]:
    """`headers` with `api`'s (or, for HTML, `page`'s) appended, except those already set."""
    present = set()
    content_type = b""
    for name, value in headers:
        lowered = name.lower()
        present.add(lowered)
        if lowered == _CONTENT_TYPE:
            content_type = value
    chosen = page if content_type[:9].lower() == _HTML else api
    for header in chosen:
        if header[0] not in present:
            headers.append(header)
    return headers
