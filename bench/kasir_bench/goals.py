"""The goals of docs/benchmarks.md, and whether a run met them (plus the scale summary)."""

from typing import Any

from kasir_bench.constants import GOALS

CALLBACK_GOALS = (
    ("pg", GOALS["callback_ratio_pg"]),
    ("pg2", GOALS["callback_ratio_pg"]),
    ("sqlite", GOALS["callback_ratio_sqlite"]),
)
SCALE_SUITES = (("sqlite", "scale-sqlite"), ("postgresql", "scale-pg"))


class _Goals:
    def __init__(self) -> None:
        self.goals: list[dict[str, Any]] = []

    def add(self, goal: str, value: float | None, target: float, *, higher: bool = True) -> None:
        if value is None:
            return
        met = value >= target if higher else value <= target
        self.goals.append({"goal": goal, "value": round(value, 3), "target": target, "met": met})


def _suite_goals(
    goals: _Goals, name: str, target: float, suite: dict[str, Any], connections: int
) -> None:
    figures = suite.get("figures", {})
    if "callback" in figures:
        goals.add(f"{name}: callback ≥ {target}× base_form", figures["callback"]["ratio"], target)
        goals.add(
            f"{name}: callback p99 ≤ {GOALS['callback_p99_ms']} ms at {connections} connections",
            figures["callback"]["p99_ms"],
            GOALS["callback_p99_ms"],
            higher=False,
        )
    if "dup_callback" in figures:
        goals.add(
            f"{name}: duplicate callback ≥ {GOALS['dup_callback_ratio']}× base_form",
            figures["dup_callback"]["ratio"],
            GOALS["dup_callback_ratio"],
        )
    if "memory" in suite:
        goals.goals.append(
            {
                "goal": f"{name}: no memory growth",
                "value": suite["memory"]["steady_growth_mib"],
                "target": 0,
                "met": not suite["memory"]["grew"],
            }
        )


def _scale(suite: dict[str, Any], run_id: str) -> dict[str, Any] | None:
    """Few vs many stored orders, from a scale suite's median figures."""
    figures = suite.get("figures", {})
    if "small" not in figures or "large" not in figures:
        return None
    small, large = figures["small"], figures["large"]
    return {
        "small_rows": suite["seeded"]["small"]["orders"],
        "large_rows": suite["seeded"]["large"]["orders"],
        "small_rps": small["rps"],
        "large_rps": large["rps"],
        "small_runs_rps": small["runs_rps"],
        "large_runs_rps": large["runs_rps"],
        "ratio": round(large["rps"] / small["rps"], 3),
        # CPU per request is far less sensitive to other load on the machine
        "cpu_ratio": round(
            small["server_cpu_us_per_request"] / large["server_cpu_us_per_request"], 3
        ),
        "small_p99_ms": small["p99_ms"],
        "large_p99_ms": large["p99_ms"],
        "run_id": suite.get("run_id", run_id),
    }


def evaluate(result: dict[str, Any]) -> None:
    """Add `goals` (each with its value and whether it was met) and `scale` to `result`."""
    suites = result["suites"]
    goals = _Goals()
    connections = result["settings"]["connections"]
    for name, target in CALLBACK_GOALS:
        _suite_goals(goals, name, target, suites.get(name, {}), connections)
    scale = {}
    for db, suite_name in SCALE_SUITES:
        found = _scale(suites.get(suite_name, {}), result["run_id"])
        if found is None:
            continue
        scale[db] = found
        goals.add(
            f"{db}: callback at {found['large_rows']:,} rows ≥ {GOALS['scale_ratio']}× "
            f"of {found['small_rows']:,} (rps)",
            found["ratio"],
            GOALS["scale_ratio"],
        )
    result["scale"] = scale
    result["goals"] = goals.goals
