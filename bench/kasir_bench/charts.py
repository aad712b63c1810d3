"""The SVG charts in docs/benchmarks/, drawn from a result (or several, with --charts-from).

One chart per database suite (every scenario against its baseline: rps and p99), one per
scenario across the databases, the server comparison, the scale and the memory. Each chart
names the run it was drawn from.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kasir_bench import svg
from kasir_bench.constants import MEASURED
from kasir_bench.report import ratio_str
from kasir_bench.svg import COLORS, Series

Panel = tuple[str, Sequence[str], Sequence[Series], str, Sequence[str]]

SCENARIOS = tuple(m.scenario for m in MEASURED)
TITLES = {m.scenario: m.title for m in MEASURED}


def _run_of(result: dict[str, Any], part: dict[str, Any]) -> str:
    return str(part.get("run_id", result["run_id"]))


def _against_baseline(
    figures: Sequence[dict[str, Any]],
    suites: Sequence[dict[str, Any]],
    rps_name: str,
    p99_name: str,
) -> tuple[list[Series], list[Series]]:
    """kasir's and the baseline's rps and p99 series; each figure's baseline is in its suite."""
    base = [suite[f["baseline"]] for f, suite in zip(figures, suites, strict=True)]
    rps = [
        Series("kasir", [f["rps"] for f in figures], COLORS["kasir"]),
        Series(rps_name, [b["rps"] for b in base], COLORS["baseline"]),
    ]
    p99 = [
        Series("kasir", [f["p99_ms"] for f in figures], COLORS["kasir"]),
        Series(p99_name, [b["p99_ms"] for b in base], COLORS["baseline"]),
    ]
    return rps, p99


def _suite_chart(result: dict[str, Any], name: str, suite: dict[str, Any]) -> list[Panel]:
    f = suite["figures"]
    present = [s for s in SCENARIOS if s in f]
    cats = [TITLES[s] for s in present]
    bare = "bare baseline route"
    rps, p99 = _against_baseline([f[s] for s in present], [f] * len(present), bare, bare)
    notes = [f"bench/results/{_run_of(result, suite)}.json"] + [
        f"{TITLES[s]}: {ratio_str(f[s]['ratio'])} of {f[s]['baseline']}" for s in present
    ]
    where = f"({suite['database']}, {suite['workers']} worker(s))"
    connections = result["settings"]["connections"]
    return [
        (f"{name}: requests/second {where}", cats, rps, "rps", notes),
        (f"{name}: p99 latency at {connections} connections", cats, p99, "ms", []),
    ]


def _scenario_chart(
    result: dict[str, Any], scenario: str, suites: dict[str, dict[str, Any]]
) -> list[Panel] | None:
    names = [n for n, s in suites.items() if scenario in s["figures"]]
    if not names:
        return None
    labels = [
        f"{n} ({suites[n]['database']}, {suites[n]['workers']}w, run {_run_of(result, suites[n])})"
        for n in names
    ]
    figures = [suites[n]["figures"][scenario] for n in names]
    rps, p99 = _against_baseline(
        figures,
        [suites[n]["figures"] for n in names],
        f"baseline ({figures[0]['baseline']})",
        "baseline",
    )
    notes = [f"{label}: {ratio_str(f['ratio'])}" for label, f in zip(labels, figures, strict=True)]
    return [
        (f"{TITLES[scenario]}: requests/second", labels, rps, "rps", notes),
        (f"{TITLES[scenario]}: p99 latency", labels, p99, "ms", []),
    ]


def _server_chart(result: dict[str, Any], server: dict[str, Any]) -> list[Panel]:
    variants = server["variants"]

    def series(scenario: str, color: str) -> Series:
        return Series(scenario, [v["figures"][scenario]["rps"] for v in variants], COLORS[color])

    note = (
        f"bench/results/{_run_of(result, server)}.json: all variants "
        f"up at once, {server.get('rounds', 1)} interleaved rounds, median"
    )
    return [
        (
            "Server settings (PostgreSQL): requests/second",
            [v["label"] for v in variants],
            [
                series("base_form", "baseline"),
                series("dup_callback", "kasir"),
                series("get_order", "extra"),
            ],
            "rps",
            [note],
        )
    ]


def _scale_chart(result: dict[str, Any]) -> list[Panel]:
    scale, settings = result["scale"], result["settings"]
    dbs = list(scale)

    def series(key: str) -> list[Series]:
        return [
            Series(
                f"{settings['base_rows']:,} rows",
                [scale[d][f"small_{key}"] for d in dbs],
                COLORS["kasir"],
            ),
            Series(
                f"{settings['scale_rows']:,} rows",
                [scale[d][f"large_{key}"] for d in dbs],
                COLORS["extra"],
            ),
        ]

    notes = [
        f"{d} (run {scale[d]['run_id']}): rps ratio {scale[d]['ratio']:.3f}, CPU-per-request "
        f"ratio {scale[d]['cpu_ratio']:.3f} (medians of alternating runs)"
        for d in dbs
    ]
    return [
        ("Callback rps with 1,000 vs 1,000,000 stored orders", dbs, series("rps"), "rps", notes),
        ("Callback p99 latency", dbs, series("p99_ms"), "ms", []),
    ]


def _memory_chart(result: dict[str, Any], memory: dict[str, dict[str, Any]]) -> list[Panel]:
    first = [next(iter(m["per_scenario"].values()))["rss_mib_before"] for m in memory.values()]
    notes = [
        f"{n} (run {_run_of(result, result['suites'][n])}): "
        f"second-pass growth {m['steady_growth_mib']} MiB"
        f" ({'grew' if m['grew'] else 'no growth'})"
        for n, m in memory.items()
    ]
    return [
        (
            "Server resident memory (all serving processes)",
            list(memory),
            [
                Series("before the first measured scenario", first, COLORS["baseline"]),
                Series(
                    "after the run", [m["final_rss_mib"] for m in memory.values()], COLORS["kasir"]
                ),
            ],
            "MiB",
            notes,
        )
    ]


def _all_charts(result: dict[str, Any]) -> dict[str, list[Panel]]:
    """Every chart the result has data for, by file name."""
    suites = {
        k: v for k, v in result["suites"].items() if "figures" in v and not k.startswith("scale")
    }
    found = {f"suite-{name}.svg": _suite_chart(result, name, s) for name, s in suites.items()}
    for scenario in SCENARIOS:
        panels = _scenario_chart(result, scenario, suites)
        if panels:
            found[f"scenario-{scenario}.svg"] = panels
    if result["suites"].get("server"):
        found["server-settings.svg"] = _server_chart(result, result["suites"]["server"])
    if result.get("scale"):
        found["scale.svg"] = _scale_chart(result)
    memory = {n: s["memory"] for n, s in result["suites"].items() if "memory" in s}
    if memory:
        found["memory.svg"] = _memory_chart(result, memory)
    return found


def charts(result: dict[str, Any], directory: Path) -> list[Path]:
    """Write every chart into `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, panels in _all_charts(result).items():
        path = directory / file_name
        path.write_text(svg.chart(panels))
        written.append(path)
    return written
