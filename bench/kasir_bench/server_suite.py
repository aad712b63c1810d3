"""The `server` suite: uvicorn's event loop, HTTP parser and worker count compared.

`kasir serve` parses HTTP with httptools by default, bounded by kasir's own protocol
(HTTP_PARSER, entrypoints/server_limits.py); the variants change the loop (uvloop or asyncio)
and the parser (h11, through kasir_bench.serve).

Every server variant is up at once on one PostgreSQL database; the bare form route, the
duplicate callback (kasir's shortest database path) and an order read run in interleaved
rounds so that other load on the machine hits every variant alike. The median round is
reported.
"""

from dataclasses import asdict, dataclass
from typing import Any

from kasir_bench.console import log
from kasir_bench.constants import WEBHOOK
from kasir_bench.databases import Database
from kasir_bench.load import Figure, LoadSettings, Traffic, describe, run_wrk
from kasir_bench.scenarios import Setup, callback_lines, get_lines
from kasir_bench.server import Server
from kasir_bench.suites import ORDERS_PATH, Run, add_ratios, median_figure, prepare


@dataclass(frozen=True)
class Variant:
    label: str
    workers: int
    loop: str | None  # None, None: `kasir serve` unchanged (uvloop, bounded httptools)
    http: str | None


VARIANTS = (
    Variant("uvloop+httptools (bounded), 1 worker (kasir serve default)", 1, None, None),
    Variant("uvloop+h11, 1 worker", 1, "uvloop", "h11"),
    Variant("asyncio+httptools (bounded), 1 worker", 1, "asyncio", None),
    Variant("uvloop+httptools (bounded), 2 workers", 2, None, None),
)


def _rounds(
    servers: list[Server], scenarios: list[Traffic], run: Run, short: LoadSettings, rounds: int
) -> dict[tuple[int, str], list[Figure]]:
    """Warm every server, then run every scenario on every server, `rounds` times over."""
    settings = run.settings
    for server in servers:
        for traffic in scenarios:
            warm = traffic.named(f"warm_{traffic.scenario}")
            run_wrk(server, warm, duration=settings.warmup, settings=settings)
    runs: dict[tuple[int, str], list[Figure]] = {}
    for round_ in range(rounds):
        for index, server in enumerate(servers):
            for traffic in scenarios:
                figure = run_wrk(server, traffic, duration=short.duration, settings=short)
                runs.setdefault((index, traffic.scenario), []).append(figure)
                log(f"server [{VARIANTS[index].label}] round {round_ + 1}: {describe(figure)}")
    return runs


def _variant_result(
    index: int, variant: Variant, runs: dict[tuple[int, str], list[Figure]]
) -> dict[str, Any]:
    figures = {
        scenario: median_figure(figures)
        for (i, scenario), figures in runs.items()
        if i == index and figures
    }
    add_ratios(figures)
    return {
        "label": variant.label,
        "workers": variant.workers,
        "loop": variant.loop or "auto (uvloop)",
        "http": variant.http or "kasir's HTTP_PARSER (bounded httptools)",
        "figures": {k: asdict(v) for k, v in figures.items()},
    }


def server_suite(run: Run, database: Database, rounds: int = 2) -> dict[str, Any]:
    settings = run.settings
    work = run.workdir / "server"
    work.mkdir(parents=True, exist_ok=True)
    seeded = prepare(run, database, run.base_rows)
    short = LoadSettings(
        max(3.0, round(settings.duration * 0.5)),
        settings.warmup,
        settings.connections,
        settings.threads,
    )
    servers: list[Server] = []
    runs: dict[tuple[int, str], list[Figure]] = {}
    try:
        for index, v in enumerate(VARIANTS):
            server = Server(
                f"server-{index}", database.url, v.workers, work, run.server_env(v.workers)
            )
            server.loop, server.http = v.loop, v.http
            server.start()
            servers.append(server)
        settled = Setup(servers[0].base_url, item_id=1).first_settled()
        dup = callback_lines(work / "dup.lines", [settled])
        scenarios = [
            Traffic("base_form", "/bench/form", dup, "form"),
            Traffic("dup_callback", WEBHOOK, dup, "form"),
            Traffic(
                "get_order", ORDERS_PATH, get_lines(work / "get.lines", [settled.order]), "get"
            ),
        ]
        runs = _rounds(servers, scenarios, run, short, rounds)
    finally:
        for server in servers:
            server.stop()
        if not run.keep:
            database.drop()
    return {
        "database": database.kind,
        "seeded": seeded,
        "duration": short.duration,
        "rounds": rounds,
        "variants": [_variant_result(i, VARIANTS[i], runs) for i in range(len(servers))],
    }
