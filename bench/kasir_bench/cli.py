"""The command line: `python bench/run.py [options]`, which is what `make bench` runs.

Per database it measures, in one server process and one run:

  callback        a valid Duitku callback for a different pending attempt each request (pays it)
  naive_callback  POST /bench/callback: the simplest Duitku integration, a signature check and
                  one autocommit UPDATE, for a different order awaiting payment each request
  dup_callback    the same callback again for an attempt already settled
  qris            POST /api/v1/payments/qris for a fresh order each request
  get_order       GET /api/v1/orders/{id} with the order's token
  base_form       POST /bench/form: decodes the same form body as the callback, then returns
  base_json       POST /bench/json: decodes the same JSON body as the QRIS request, then returns
  base_get        GET /bench/orders/{id}: parses the same path, then returns

and prints each figure as a ratio to its baseline (the paying callback also to the naive one),
with the CPU per request of kasir's server and of PostgreSQL's backends. Suites: `server`
(uvicorn loop/parser and worker count compared), `sqlite`, `pg` (one worker), `pg2` (two
workers), `scale-sqlite` and `scale-pg` (the callback with 1,000,000 orders, payments and
callbacks already stored, then the personal-data purge on that history, in the steady state
and never purged). `--servers uvicorn,granian` runs sqlite, pg and pg2 again on
granian (suites `sqlite@granian`...). At the end, every goal of docs/benchmarks.md with its
value, target and whether it was met.
Results: bench/results/<run>.json (and .md); SVG charts in docs/benchmarks/ for full runs.

    .venv/bin/python bench/run.py                 # everything (about 20 minutes)
    .venv/bin/python bench/run.py --quick         # a smoke run of the same steps
    .venv/bin/python bench/run.py --suites sqlite --quick    # the shortest smoke run
    .venv/bin/python bench/run.py --suites pg,scale-pg --duration 15
    .venv/bin/python bench/run.py --suites sqlite,pg --servers uvicorn,granian

Every process it starts (servers, wrk) is stopped when it ends, also on Ctrl-C.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kasir_bench import processes
from kasir_bench.charts import charts
from kasir_bench.console import log, say
from kasir_bench.constants import (
    ALL_SUITES,
    BENCH,
    CHARTS,
    PG_SUITES,
    RESULTS,
    ROOT,
    SERVERS,
    TMP,
)
from kasir_bench.databases import Database, pg_available, pg_settings
from kasir_bench.full_suite import full_suite
from kasir_bench.goals import evaluate
from kasir_bench.load import LoadSettings
from kasir_bench.report import machine, markdown
from kasir_bench.scale_suite import scale_suite
from kasir_bench.server import recorded_env
from kasir_bench.server_suite import server_suite
from kasir_bench.suites import Run

INTERRUPTED = 130


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--suites",
        default=",".join(ALL_SUITES),
        help=f"comma-separated, from {', '.join(ALL_SUITES)}",
    )
    parser.add_argument(
        "--servers",
        default="uvicorn",
        help=f"comma-separated, from {', '.join(SERVERS)}: run the sqlite, pg and pg2 suites "
        "on each (uvicorn is `kasir serve`; the others only for comparison)",
    )
    parser.add_argument("--duration", type=float, default=12.0, help="seconds of wrk per scenario")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--base-rows", type=int, default=1_000)
    parser.add_argument("--scale-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database); bench databases are created there",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 3 s scenarios, 20,000-row scale, no charts"
    )
    parser.add_argument(
        "--charts",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write docs/benchmarks/*.svg (default: on for full runs)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy profiles of callback/qris (installs py-spy into the venv)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and work files")
    parser.add_argument(
        "--charts-from",
        type=Path,
        action="append",
        default=[],
        metavar="RESULT_JSON",
        help="only redraw docs/benchmarks/*.svg from earlier results; repeat it to take a "
        "suite from a later run (a rerun of one suite); each chart names its run",
    )
    return parser


def redraw(results: Sequence[Path]) -> int:
    """Redraw the charts from earlier results, later files' suites replacing earlier ones."""
    merged: dict[str, Any] = {}
    for path in results:
        earlier = json.loads(path.read_text())
        for suite in earlier["suites"].values():
            suite["run_id"] = earlier["run_id"]
        if not merged:
            merged = earlier
        else:
            merged["suites"].update(earlier["suites"])
    evaluate(merged)
    for chart in charts(merged, CHARTS):
        log(f"chart {chart.relative_to(ROOT)}")
    return 0


SERVED_SUITES = ("sqlite", "pg", "pg2")  # the suites `--servers` runs on another server too


def with_servers(suites: Sequence[str], servers: Sequence[str]) -> list[str]:
    """The suites, each of SERVED_SUITES followed by its runs on the other servers (uvicorn,
    `kasir serve` itself, always runs: the goals are its)."""
    others = [server for server in servers if server != "uvicorn"]
    named: list[str] = []
    for suite in suites:
        named.append(suite)
        if suite in SERVED_SUITES:
            named += [f"{suite}@{server}" for server in others]
    return named


def _suite_runner(run: Run, suite: str) -> Callable[[], dict[str, Any]]:
    # Database names carry the process id: two runs never drop each other's.
    base, _, server = suite.partition("@")
    tag = f"kasir_bench_{os.getpid()}" + (f"_{server}" if server else "")

    def pg(name: str) -> Database:
        return Database.postgres(run.pg_url, f"{tag}_{name}")

    def lite(name: str) -> Database:
        return Database.sqlite(run.workdir, f"{tag}_{name}")

    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "server": lambda: server_suite(run, pg("server")),
        "sqlite": lambda: full_suite(run, suite, lite("sqlite"), 1, server or "uvicorn"),
        "pg": lambda: full_suite(run, suite, pg("pg"), 1, server or "uvicorn"),
        "pg2": lambda: full_suite(run, suite, pg("pg2"), 2, server or "uvicorn"),
        "scale-sqlite": lambda: scale_suite(run, suite, lite("small"), lite("large")),
        "scale-pg": lambda: scale_suite(run, suite, pg("small"), pg("large")),
    }
    return runners[base]


def _run_suites(run: Run, suites: Sequence[str], result: dict[str, Any], has_pg: bool) -> None:
    """Each suite in turn; a failed suite is recorded and must not lose the others' figures."""
    try:
        for suite in suites:
            if suite.partition("@")[0] in PG_SUITES and not has_pg:
                result["skipped"].append(suite)
                continue
            log(f"=== suite {suite}")
            try:
                result["suites"][suite] = _suite_runner(run, suite)()
            except Exception as error:  # recorded in the result; the run goes on
                log(f"suite {suite} failed: {error!r}")
                result.setdefault("failed", {})[suite] = traceback.format_exc()
                processes.stop_all()
    except KeyboardInterrupt:
        log("interrupted: stopping every process started")
        result["interrupted"] = True
    finally:
        processes.stop_all()


def _new_result(args: argparse.Namespace, run_id: str, has_pg: bool) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "duration": args.duration,
            "warmup": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "base_rows": args.base_rows,
            "scale_rows": args.scale_rows,
            "load_generator": "wrk on 127.0.0.1, same machine",
            "servers": args.servers,
            "server_env": recorded_env(),
            "postgres_url": args.pg_url if has_pg else None,
            "postgres": pg_settings(args.pg_url) if has_pg else None,
        },
        "suites": {},
        "skipped": [],
    }


def _write(result: dict[str, Any], run_id: str, *, quick: bool, write_charts: bool) -> Path:
    """Save the result (JSON and Markdown), print the report, draw the charts."""
    # Smoke runs (--quick) are not results: they stay in bench/tmp.
    results_dir = TMP if quick else RESULTS
    results_dir.mkdir(parents=True, exist_ok=True)
    out_json = results_dir / f"{run_id}.json"
    out_json.write_text(json.dumps(result, indent=1, default=str) + "\n")
    report = markdown(result)
    (results_dir / f"{run_id}.md").write_text(report + "\n")
    say()
    say(report)
    if write_charts and not result.get("interrupted"):
        for path in charts(result, CHARTS):
            log(f"chart {path.relative_to(ROOT)}")
    return out_json


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.charts_from:
        return redraw(args.charts_from)
    if args.quick:
        args.duration, args.warmup, args.scale_rows = 3.0, 1.0, min(args.scale_rows, 20_000)
    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    unknown = set(suites) - set(ALL_SUITES)
    if unknown:
        parser().error(f"unknown suites: {', '.join(sorted(unknown))}")
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if set(servers) - set(SERVERS):
        parser().error(f"unknown servers: {', '.join(sorted(set(servers) - set(SERVERS)))}")
    suites = with_servers(suites, servers)
    write_charts = args.charts if args.charts is not None else not args.quick

    processes.stop_on_signals()
    processes.wrk()
    from entrypoints.demo_data import DEMO_MENU  # noqa: PLC0415 - kasir's own demo menu

    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    workdir = BENCH / "tmp" / run_id
    workdir.mkdir(parents=True, exist_ok=True)
    settings = LoadSettings(args.duration, args.warmup, args.connections, args.threads)
    run = Run(
        settings,
        workdir,
        args.pg_url,
        args.base_rows,
        args.scale_rows,
        DEMO_MENU,
        args.keep,
        args.profile,
    )
    has_pg = pg_available(args.pg_url)
    if not has_pg:
        log(f"PostgreSQL is not reachable at {args.pg_url}: skipping its suites")
    result = _new_result(args, run_id, has_pg)
    started = time.monotonic()
    _run_suites(run, suites, result, has_pg)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    evaluate(result)
    out_json = _write(result, run_id, quick=args.quick, write_charts=write_charts)
    log(f"results: {out_json.relative_to(ROOT)} ({result['seconds']:.0f} s)")
    if not args.keep and not result.get("interrupted"):
        shutil.rmtree(workdir, ignore_errors=True)
    return INTERRUPTED if result.get("interrupted") else 0
