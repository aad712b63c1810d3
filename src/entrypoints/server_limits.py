"""The limits `kasir serve` sets on uvicorn against slow and oversized clients.

Measured on loopback (docs/production.md, "Slow and oversized clients"): uvicorn's fast parser,
httptools, accepts headers of any size (a 1 MB header was answered 200); h11 refuses a
request whose unfinished headers pass `h11_max_incomplete_event_size` (400), at about 75-100
microseconds more CPU per request. Neither parser times out slow headers or a slow body: the
body has its own deadline in the app (entrypoints.http.body_deadline); slow headers need the
reverse proxy. `limit_concurrency` answers 503 beyond that many connections and tasks, at no
measurable cost; `timeout_keep_alive` closes idle keep-alive connections.
"""

from typing import Any

from entrypoints.settings import Settings

MAX_HEADER_BYTES = 16 * 1024
KEEP_ALIVE_SECONDS = 5


def uvicorn_limits(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run`."""
    options: dict[str, Any] = {
        "http": settings.http_parser,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "limit_concurrency": settings.server_limit_concurrency,
    }
    if settings.http_parser == "h11":
        options["h11_max_incomplete_event_size"] = MAX_HEADER_BYTES
    return options
