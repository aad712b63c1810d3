"""The result's description of the machine, and the Markdown report printed and saved."""

import contextlib
import platform
import socket
import sqlite3
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from kasir_bench import processes
from kasir_bench.procfs import CORES, load_average

PACKAGES = (
    "litestar",
    "uvicorn",
    "granian",
    "uvloop",
    "httptools",
    "msgspec",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "dependency-injector",
)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def machine() -> dict[str, Any]:
    """CPU, memory, kernel, Python, the packages on the hot path, SQLite and wrk versions."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    wrk_version = processes.run([processes.wrk(), "-v"], capture=True, check=False).stdout
    return {
        "hostname": socket.gethostname(),
        "cpu": cpu,
        "cores": CORES,
        "memory_mib": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version.split("\n")[0].strip(),
        "loadavg_at_start": load_average(),
    }


def ratio_str(value: float | None) -> str:
    return f"{value:.3f}×" if value is not None else "–"


def _flags(f: dict[str, Any]) -> str:
    flags = " (ran out of prepared requests: a lower bound)" if f["exhausted"] else ""
    bad = f["errors"]["status"] + f["errors"]["timeout"]
    flags += f" ({bad} errors)" if bad else ""
    share = f.get("worker_cpu_share") or []
    flags += f" (workers unbalanced: {share})" if share and max(share) > 0.7 else ""
    return flags


def _us(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "–"


def _suite(name: str, suite: dict[str, Any]) -> list[str]:
    lines = [
        f"## {name} ({suite['database']}, {suite['workers']} worker(s), "
        f"{suite.get('server', 'uvicorn')}, {suite['seeded']['orders']:,} orders stored)",
        "",
        "| scenario | rps | p50 ms | p99 ms | server CPU µs/req | PostgreSQL backend CPU µs/req "
        "| vs baseline | vs naive callback | others' CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario, f in suite["figures"].items():
        lines.append(
            f"| {scenario}{_flags(f)} | {f['rps']:.0f} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} | "
            f"{_us(f['server_cpu_us_per_request'])} | "
            f"{_us(f.get('postgres_backend_cpu_us_per_request'))} | {ratio_str(f['ratio'])} | "
            f"{ratio_str(f.get('ratio_to_naive'))} | {f['other_cpu_pct']:.0f}% |"
        )
    mem = suite["memory"]
    return [
        *lines,
        "",
        f"Memory: {mem['final_rss_mib']} MiB resident after the run "
        f"(peak {mem['peak_rss_mib']}), steady growth {mem['steady_growth_mib']} MiB → "
        f"{'GREW' if mem['grew'] else 'no growth'}.",
        "",
    ]


def _compared(title: str, names: tuple[str, str], compared: dict[str, Any]) -> list[str]:
    """Two runs of the same scenarios: each one's rate and CPU per request, and the ratio."""
    one, other = names
    lines = [
        f"## {title}",
        "",
        f"| scenario | {one} rps | {other} rps | {other} / {one} | {one} CPU µs/req "
        f"| {other} CPU µs/req |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for scenario, c in compared.items():
        lines.append(
            f"| {scenario} | {c['rps'][0]:.0f} | {c['rps'][1]:.0f} | {c['ratio']:.3f}× | "
            f"{_us(c['server_cpu_us_per_request'][0])} | {_us(c['server_cpu_us_per_request'][1])} |"
        )
    return [*lines, ""]


def _verdict(goal: dict[str, Any]) -> str:
    if goal["met"] is None:
        return "not measured"
    return "met" if goal["met"] else "NOT met"


def _amount(value: float, unit: str) -> str:
    return f"{value:g}×" if unit == "×" else f"{value:,.4g} {unit}"


def _goals(goals: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Goals (issue #17)",
        "",
        "| goal | value | target | verdict |",
        "|---|---:|---:|---|",
    ]
    for goal in goals:
        value = "–" if goal["value"] is None else _amount(goal["value"], goal["unit"])
        target = goal["target_text"] or (
            f"{'≥' if goal['higher'] else '≤'} {_amount(goal['target'], goal['unit'])}"
        )
        note = f" ({goal['note']})" if goal["note"] else ""
        lines.append(f"| {goal['goal']} | {value} | {target} | {_verdict(goal)}{note} |")
    met = sum(1 for g in goals if g["met"])
    missed = sum(1 for g in goals if g["met"] is False)
    unmeasured = sum(1 for g in goals if g["met"] is None)
    return [*lines, "", f"{met} met, {missed} not met, {unmeasured} not measured.", ""]


def _server(server: dict[str, Any]) -> list[str]:
    lines = [
        "## Server settings compared (PostgreSQL)",
        "",
        "| variant | base_form rps | dup_callback rps | get_order rps | dup p99 ms | "
        "dup CPU µs/req |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for v in server["variants"]:
        f = v["figures"]
        lines.append(
            f"| {v['label']} | {f['base_form']['rps']:.0f} | {f['dup_callback']['rps']:.0f} | "
            f"{f['get_order']['rps']:.0f} | {f['dup_callback']['p99_ms']:.1f} | "
            f"{f['dup_callback']['server_cpu_us_per_request']:.0f} |"
        )
    return [*lines, ""]


def _scale(scale: dict[str, Any]) -> list[str]:
    lines = [
        "## Scale: the callback with few vs many stored orders (median of alternating runs)",
        "",
        "| database | rows | rps (each run) | rows | rps (each run) | rps ratio | CPU ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for db, s in scale.items():
        lines.append(
            f"| {db} | {s['small_rows']:,} | {s['small_rps']:.0f} ({s['small_runs_rps']}) | "
            f"{s['large_rows']:,} | {s['large_rps']:.0f} ({s['large_runs_rps']}) | "
            f"{s['ratio']:.3f} | {s['cpu_ratio']:.3f} |"
        )
    return [*lines, ""]


def _purge_row(label: str, run: dict[str, Any]) -> str:
    if not run.get("transactions"):
        return f"| {label} | {run['entries']:,} | 0 | | | | | |"
    return (
        f"| {label} | {run['entries']:,} | {run['transactions']} | {run['seconds']:.1f} | "
        f"{run['longest_ms']:.1f} (#{run['longest_at']}) | {run['median_ms']:.1f} | "
        f"{run['longest_wait_ms']:.1f} | {run['rss_mib_before']} → {run['rss_mib_peak']} |"
    )


def _purges(suites: dict[str, Any]) -> list[str]:
    """The personal-data purge on each scale suite's large database (kasir_bench.purge)."""
    lines = [
        "## The personal-data purge on a year of history (its own process, one run each)",
        "",
        "| run | entries blanked | transactions | s | longest ms | median ms | longest wait ms "
        "| resident MiB before → peak |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for name, suite in suites.items():
        purge = suite.get("purge")
        if not purge:
            continue
        if "error" in purge:
            notes.append(f"{name}: measuring the purge FAILED (see the JSON).")
            continue
        first, rows = purge["first"], purge["rows"]
        lines.append(_purge_row(f"{name}, {rows:,} orders: the hourly run", purge["steady"]))
        lines.append(_purge_row(f"{name}: the first run, never purged", first))
        notes.append(
            f"{name}: retention {purge['retention_days']} days; {first['due']:,} entries due, "
            f"{first['left']:,} left for the next runs."
        )
        during = purge.get("callback_during_purge")
        if during:
            notes.append(
                f"{name}: paying callbacks meanwhile ({during['overlap_seconds']} s of "
                f"{during['seconds']:.0f} s with the purge): {during['rps']:.0f} rps, "
                f"p99 {during['p99_ms']:.1f} ms{_flags(during)}; without it: "
                f"{suite['figures']['large']['p99_ms']:.1f} ms."
                if "large" in suite.get("figures", {})
                else f"{name}: paying callbacks meanwhile: p99 {during['p99_ms']:.1f} ms."
            )
    if len(lines) == 4 and not notes:
        return []
    return [*lines, "", *notes, ""]


def markdown(result: dict[str, Any]) -> str:
    """The run as Markdown: one table per suite, the server comparison, scale, goals."""
    m, settings = result["machine"], result["settings"]
    lines = [
        f"# kasir benchmark {result['run_id']}",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['memory_mib']} MiB; Python {m['python']}; "
        f"wrk -t{settings['threads']} -c{settings['connections']} "
        f"-d{settings['duration']}s on the same machine.",
        "",
    ]
    for name, suite in result["suites"].items():
        if name != "server" and not name.startswith("scale") and "figures" in suite:
            lines += _suite(name, suite)
    if "server" in result["suites"]:
        lines += _server(result["suites"]["server"])
    if result.get("scale"):
        lines += _scale(result["scale"])
    lines += _purges({n: s for n, s in result["suites"].items() if n.startswith("scale")})
    if result.get("workers"):
        title = "2 workers vs 1 on PostgreSQL (informational: two shared cores)"
        lines += _compared(title, ("pg", "pg2"), result["workers"])
    for name, servers in result.get("servers", {}).items():
        title = f"{name} vs {servers['against']} (uvicorn): the same scenarios on another server"
        lines += _compared(title, (servers["against"], name), servers["scenarios"])
    for suite_name, error in result.get("failed", {}).items():
        lines += [f"## {suite_name}: FAILED", "", "```", error.strip()[-2000:], "```", ""]
    if result.get("goals"):
        lines += _goals(result["goals"])
    return "\n".join(lines)
