"""`kasir serve` on another uvicorn event loop or HTTP parser, or on granian, for comparisons.

Runs kasir's own `serve` command unchanged (settings, migrations first, logging, the banner)
and only changes the server it hands the app to at the end:

- uvicorn with `loop=`; `--http` sets kasir's own HTTP_PARSER setting (kasir passes `http=`
  to uvicorn itself, so that is the one way to change it);
- granian (`--server granian`, ASGI interface with lifespan, the same host, port, workers,
  app factory and logging configuration). uvicorn's limits that granian has no equivalent
  for are not applied (see docs/benchmarks.md): this is a yardstick, never how kasir serves.

    python bench/kasir_bench/serve.py --server granian -- --port 8000 --workers 1
"""

import argparse
import functools
import os
import sys
from typing import Any

import uvicorn


def granian_run(
    app: str,
    *,
    factory: bool,
    host: str,
    port: int,
    workers: int,
    log_config: dict[str, Any] | None = None,
    limit_concurrency: int | None = None,
    **uvicorn_only: Any,
) -> None:
    """Serve what kasir hands `uvicorn.run` with granian instead."""
    from granian.constants import Interfaces  # noqa: PLC0415 - only this server needs it
    from granian.http import HTTP1Settings  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    from entrypoints.server_limits import MAX_HEADER_BYTES  # noqa: PLC0415

    if log_config is not None:
        # granian's own logger, through kasir's handlers (granian merges this into its own
        # configuration, whose loggers name handlers kasir's configuration replaces).
        log_config = {**log_config, "loggers": {"_granian": {"propagate": True}}}
    Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=factory,
        log_dictconfig=log_config,
        # uvicorn's limit_concurrency answers 503 beyond it; granian's nearest is to stop
        # accepting beyond this many requests in flight per worker.
        backpressure=limit_concurrency,
        # An access line per request, as uvicorn writes (granian's own format), so that both
        # servers pay for one; hyper's read buffer bounds the headers (431 past it).
        log_access=True,
        http1_settings=HTTP1Settings(max_buffer_size=MAX_HEADER_BYTES),
    ).serve()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="uvicorn", choices=["uvicorn", "granian"])
    parser.add_argument("--loop", default="auto", choices=["auto", "uvloop", "asyncio"])
    parser.add_argument("--http", default=None, choices=["httptools", "h11"])
    parser.add_argument("serve_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.http:
        os.environ["HTTP_PARSER"] = args.http
    if args.server == "granian":
        uvicorn.run = granian_run  # type: ignore[assignment]
    else:
        uvicorn.run = functools.partial(uvicorn.run, loop=args.loop)

    from entrypoints.cli import main as kasir  # noqa: PLC0415 - after the patch

    serve_args = [a for a in args.serve_args if a != "--"]
    return kasir(["serve", *serve_args])


if __name__ == "__main__":
    sys.exit(main())
