"""The limits `kasir serve` sets on uvicorn against slow and oversized clients.

Measured on loopback (docs/production.md, "Slow and oversized clients"): uvicorn's fast parser,
httptools, accepts headers of any size on its own (a 1 MB header was answered 200), so kasir
hands uvicorn `BoundedHttpToolsProtocol`, which refuses (431) a request whose headers pass
`MAX_HEADER_BYTES` or `MAX_HEADER_COUNT`. h11 (`HTTP_PARSER=h11`) refuses headers that pass
`h11_max_incomplete_event_size` (400), at about 75-100 microseconds more CPU per request.
Neither parser times out slow headers or a slow body: the body has its own deadline in the
app (entrypoints.http.input_guard); slow headers need the reverse proxy.
`limit_concurrency` answers 503 beyond that many connections and tasks, at no measurable
cost; `timeout_keep_alive` closes idle keep-alive connections.
"""

from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from entrypoints.settings import Settings

MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_COUNT = 100
KEEP_ALIVE_SECONDS = 5

_TOO_LARGE = b"Request header fields too large"


class TooManyHeaders(Exception):
    """Raised inside the parser's header callback: the request has too many headers."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on each request's headers.

    httptools itself keeps every header it has not finished reading, however long: a client
    could send megabytes of one header, each piece appended to the last. Here, every byte
    that arrives while a request's headers are incomplete is counted (the request line
    included), and past `MAX_HEADER_BYTES`, or past `MAX_HEADER_COUNT` headers, the request
    is answered 431 and the connection closed before anything reaches the app. The count is
    checked after each piece of data is parsed, so what is held stays within the limit plus
    one read from the socket. Bodies are not counted (the app bounds them, 413).
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: Any = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._reading_headers = True
        self._header_bytes = 0
        self._header_count = 0

    def data_received(self, data: bytes) -> None:
        if self._reading_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if (
            self._reading_headers
            and self._header_bytes > MAX_HEADER_BYTES
            and not self.transport.is_closing()
        ):
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > MAX_HEADER_COUNT:
            # Stops the parser; uvicorn then answers through send_400_response, below.
            raise TooManyHeaders
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._header_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_headers = True

    def send_400_response(self, msg: str) -> None:
        if self._header_count > MAX_HEADER_COUNT:
            self._refuse()
        else:
            super().send_400_response(msg)

    def _refuse(self) -> None:
        self.logger.warning("Request headers too large.")
        content = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(_TOO_LARGE)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                _TOO_LARGE,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()


def uvicorn_limits(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run`."""
    options: dict[str, Any] = {
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "limit_concurrency": settings.server_limit_concurrency,
    }
    if settings.http_parser == "h11":
        options["http"] = "h11"
        options["h11_max_incomplete_event_size"] = MAX_HEADER_BYTES
    else:
        options["http"] = BoundedHttpToolsProtocol
    return options
