"""`kasir serve` with another uvicorn event loop or HTTP parser, for the server comparison.

Runs kasir's own `serve` command unchanged (migrations first, logging, the same uvicorn
arguments) and only adds `loop=` and `http=` to its `uvicorn.run` call. Usage:

    python bench/kasir_bench/serve.py --loop asyncio --http h11 -- --port 8000 --workers 1
"""

import argparse
import functools
import sys

import uvicorn


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", default="auto", choices=["auto", "uvloop", "asyncio"])
    parser.add_argument("--http", default="auto", choices=["auto", "httptools", "h11"])
    parser.add_argument("serve_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    uvicorn.run = functools.partial(uvicorn.run, loop=args.loop, http=args.http)

    from entrypoints.cli import main as kasir  # noqa: PLC0415 - after the patch

    serve_args = [a for a in args.serve_args if a != "--"]
    return kasir(["serve", *serve_args])


if __name__ == "__main__":
    sys.exit(main())
