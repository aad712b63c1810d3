"""The memory verdict of a suite: resident memory per scenario, and growth in a second pass."""

from collections.abc import Sequence
from typing import Any

from kasir_bench.load import Figure
from kasir_bench.procfs import cmdline
from kasir_bench.server import MemorySampler


def memory_report(
    sampler: MemorySampler,
    final_rss: dict[int, int],
    figures: dict[str, Figure],
    repeat: Sequence[int] | None = None,
) -> dict[str, Any]:
    """`repeat`: the resident KiB before and after a second pass of the steady scenarios."""
    samples = sampler.samples
    measured = [s for s in samples if s["phase"] in figures]
    per_scenario = {
        name: {
            "rss_mib_before": round(f.rss_kib_before / 1024, 1),
            "rss_mib_after": round(f.rss_kib_after / 1024, 1),
            "delta_mib": round((f.rss_kib_after - f.rss_kib_before) / 1024, 1),
        }
        for name, f in figures.items()
    }
    # Over the first pass: from the end of the first measured scenario to the end of the last.
    order = list(figures)
    first = figures[order[0]].rss_kib_after if order else 0
    last = figures[order[-1]].rss_kib_after if order else 0
    growth_mib = (last - first) / 1024
    # The verdict: a second pass of the steady scenarios (nothing is kept per request there).
    repeat_mib = (repeat[1] - repeat[0]) / 1024 if repeat else growth_mib
    peak = max((s["rss_kib"] for s in measured), default=0)
    return {
        "final_rss_mib": round(sum(final_rss.values()) / 1024, 1),
        "final_rss_mib_per_process": {
            f"{pid} {cmdline(pid)[:60]}": round(kib / 1024, 1) for pid, kib in final_rss.items()
        },
        "peak_rss_mib": round(peak / 1024, 1),
        "per_scenario": per_scenario,
        "first_pass_growth_mib": round(growth_mib, 1),
        "steady_growth_mib": round(repeat_mib, 1),
        # A few MiB come and go with SQLite's overflow connections (a thread and a page cache
        # each): growth counts when the repeat added more than that.
        "grew": repeat_mib > max(4.0, 0.03 * last / 1024),
        "samples": [{"t": s["t"], "phase": s["phase"], "rss_kib": s["rss_kib"]} for s in samples],
    }
