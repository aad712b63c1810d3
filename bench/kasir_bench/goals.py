"""The goals of issue #17 (docs/benchmarks.md), and whether a run met each one.

Every goal is always listed: with its value, its target and `met` true or false when the run
measured it, or `met` None and a note saying why not (a suite not run or failed, a figure
missing or spoilt by errors, a smoke run with fewer rows or other connections than the goal
names). A figure whose run ran out of prepared requests bounds its ratio on one side: a
verdict that bound cannot settle is not claimed. Also here: the scale summary and,
informational, 2 workers against 1 on PostgreSQL and each server `--servers` ran the suites on
against uvicorn.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from kasir_bench.constants import (
    GOAL_CONNECTIONS,
    GOALS,
    MEMORY_SUITES,
    PURGE_MEMORY_MIB,
    PURGE_TRANSACTION_MS,
    REFERENCE_BASE_FORM_CPU_US,
    SCALE_GOAL_ROWS,
    SCALE_RATIO,
    SERVERS,
)

SCALE_SUITES = (("sqlite", "scale-sqlite"), ("postgresql", "scale-pg"))
DATABASE_OF = {
    "pg": "PostgreSQL",
    "sqlite": "SQLite",
    "pg2": "PostgreSQL, 2 workers",
    "postgresql": "PostgreSQL",
}
# The memory verdict allows the few MiB SQLite's overflow connections bring and take.
MEMORY_TARGET = "no growth beyond connection churn"
FULL_SUITE_SCENARIOS = ("callback", "naive_callback", "dup_callback", "qris", "get_order")
# The only outcomes a run of these may store in the inbox; any other means it did not measure
# what it says (a callback repeated, refused, or for an attempt not pending). `verified`: stored
# and verified, its processing still under way when counted (a request wrk left in flight; one
# that failed is among the errors).
EXPECTED_OUTCOMES = {
    "callback": {"order_paid", "verified"},
    "dup_callback": {"already_settled", "verified"},
    "small": {"order_paid", "verified"},
    "large": {"order_paid", "verified"},
}
# The purge goals: (title, unit, target, what they read from the suite's `purge`).
_PURGE_GOALS: dict[str, tuple[str, str, float, str]] = {
    "purge_first_transaction_ms": (
        "longest transaction of the first personal-data purge run on a year never purged",
        "ms",
        PURGE_TRANSACTION_MS,
        "first",
    ),
    "purge_first_memory_mib": (
        "memory growth during the first personal-data purge run on a year never purged",
        "MiB",
        PURGE_MEMORY_MIB,
        "first",
    ),
    "purge_hourly_transaction_ms": (
        "longest transaction of the hourly personal-data purge on a year of history",
        "ms",
        PURGE_TRANSACTION_MS,
        "steady",
    ),
}


@dataclass(frozen=True)
class Goal:
    """One goal: `key` is stable (results compare by it), `title` says it in words."""

    key: str
    title: str
    target: float
    unit: str
    higher: bool  # True: met when value >= target; False: when value <= target
    target_text: str = ""  # the target in words, when a number alone would mislead


@dataclass(frozen=True)
class Verdict:
    key: str
    goal: str
    target: float
    unit: str
    higher: bool
    target_text: str
    value: float | None
    met: bool | None  # None: not measured by this run (see note)
    note: str = ""


class _Missing(LookupError):
    """The run has no (valid) value for a goal; the message says why."""


# What each per-database goal reads from the suite's figures, and how it is titled.
_SUITE_GOALS: dict[str, tuple[str, str, bool, Callable[[dict[str, Any]], Any]]] = {
    "callback_ratio": (
        "paying callback vs bare form route",
        "×",
        True,
        lambda f: f["callback"]["ratio"],
    ),
    "dup_callback_ratio": (
        "duplicate callback vs bare form route",
        "×",
        True,
        lambda f: f["dup_callback"]["ratio"],
    ),
    "qris_ratio": ("QRIS creation vs bare JSON route", "×", True, lambda f: f["qris"]["ratio"]),
    "get_order_ratio": (
        "order read vs bare GET route",
        "×",
        True,
        lambda f: f["get_order"]["ratio"],
    ),
    "callback_p99_ms": (
        f"paying callback p99 at {GOAL_CONNECTIONS} connections",
        "ms",
        False,
        lambda f: f["callback"]["p99_ms"],
    ),
    "callback_cpu_us": (
        "paying callback, server CPU per request",
        "µs",
        False,
        lambda f: f["callback"]["server_cpu_us_per_request"],
    ),
    "dup_callback_cpu_us": (
        "duplicate callback, server CPU per request",
        "µs",
        False,
        lambda f: f["dup_callback"]["server_cpu_us_per_request"],
    ),
    "callback_vs_naive": (
        "paying callback vs naive callback (the price of kasir's safety)",
        "×",
        True,
        lambda f: f["callback"].get("ratio_to_naive"),
    ),
}
# The figures each goal depends on: errors in any of them spoil the goal's value. For a ratio,
# the first is the numerator and the second the denominator.
_FIGURES_OF = {
    "callback_ratio": ("callback", "base_form"),
    "dup_callback_ratio": ("dup_callback", "base_form"),
    "qris_ratio": ("qris", "base_json"),
    "get_order_ratio": ("get_order", "base_get"),
    "callback_p99_ms": ("callback",),
    "callback_cpu_us": ("callback",),
    "dup_callback_cpu_us": ("dup_callback",),
    "callback_vs_naive": ("callback", "naive_callback"),
}


def goal_list(result: dict[str, Any]) -> list[Goal]:
    """Every goal, in the order the report prints them."""
    goals = [
        Goal(f"{suite}.{name}", f"{DATABASE_OF[suite]}: {title}", target, unit, higher)
        for suite, targets in GOALS.items()
        for name, target in targets.items()
        for title, unit, higher, _ in [_SUITE_GOALS[name]]
    ]
    goals += [
        Goal(
            f"{suite}.memory_growth",
            f"{DATABASE_OF[suite]}: memory growth in a second pass",
            0,
            "MiB",
            False,
            MEMORY_TARGET,
        )
        for suite in MEMORY_SUITES
    ]
    base_rows = result["settings"].get("base_rows", 1_000)
    goals += [
        Goal(
            f"{db}.scale_ratio",
            f"{DATABASE_OF[db]}: paying callback with {SCALE_GOAL_ROWS:,} orders stored "
            f"vs {base_rows:,}",
            SCALE_RATIO,
            "×",
            True,
        )
        for db, suite in SCALE_SUITES
    ]
    goals += [
        Goal(f"{db}.{name}", f"{DATABASE_OF[db]}: {title}", target, unit, False)
        for db, _ in SCALE_SUITES
        for name, (title, unit, target, _) in _PURGE_GOALS.items()
    ]
    return goals


def _suite(result: dict[str, Any], name: str) -> dict[str, Any]:
    if name in result.get("failed", {}):
        raise _Missing(f"suite {name} failed")
    suite: dict[str, Any] | None = result["suites"].get(name)
    if suite is None:
        raise _Missing(f"suite {name} not run")
    return suite


@dataclass(frozen=True)
class _Value:
    """A goal's value in this run. `bound`: "lower" when the true value may be higher (the
    numerator's run ran out of prepared requests), "upper" when it may be lower."""

    value: float
    note: str = ""
    bound: str | None = None


def _figure_problems(figures: dict[str, Any], names: tuple[str, ...]) -> tuple[str, str | None]:
    """Raise when a figure is missing, had errors or stored unexpected outcomes; else a note
    naming the figures that ran out of prepared requests, and the bound that puts a ratio of
    `names` (numerator, denominator) under."""
    for name in names:
        if name not in figures:
            raise _Missing(f"no {name} figure")
        errors = figures[name].get("errors") or {}
        bad = sum(errors.get(kind, 0) for kind in ("status", "timeout", "connect"))
        if bad:
            raise _Missing(f"{name} had {bad} errors")
        outcomes = figures[name].get("outcomes") or {}
        unexpected = sorted(set(outcomes) - EXPECTED_OUTCOMES.get(name, set(outcomes)))
        if unexpected:
            raise _Missing(f"{name} stored unexpected outcomes: {', '.join(unexpected)}")
    exhausted = [n for n in names if figures[n].get("exhausted")]
    if not exhausted:
        return "", None
    bound = None
    if len(names) == 2 and len(exhausted) == 1:
        bound = "lower" if exhausted[0] == names[0] else "upper"
    return f"{', '.join(exhausted)} ran out of prepared requests", bound


def _suite_value(result: dict[str, Any], goal: Goal) -> _Value:
    suite_name, name = goal.key.split(".", 1)
    figures = _suite(result, suite_name).get("figures", {})
    note, bound = _figure_problems(figures, _FIGURES_OF[name])
    value = _SUITE_GOALS[name][3](figures)
    if value is None:
        raise _Missing(f"no value for {name}")
    if name == "callback_p99_ms" and result["settings"]["connections"] != GOAL_CONNECTIONS:
        raise _Missing(
            f"measured at {result['settings']['connections']} connections, "
            f"the goal at {GOAL_CONNECTIONS}"
        )
    # Only a ratio of rates is bounded by a run that ran out (its rate counts idle time).
    return _Value(float(value), note, bound if goal.unit == "×" else None)


def _full_history(rows: int, measured: str) -> None:
    if rows < SCALE_GOAL_ROWS:
        raise _Missing(
            f"{measured} measured with {rows:,} rows, the goal is at {SCALE_GOAL_ROWS:,}"
        )


def _scale_value(result: dict[str, Any], goal: Goal) -> _Value:
    db = goal.key.split(".", 1)[0]
    scale = result.get("scale", {}).get(db)
    suite = _suite(result, dict(SCALE_SUITES)[db])
    if scale is None:
        raise _Missing("no scale figures")
    note, bound = _figure_problems(suite.get("figures", {}), ("large", "small"))
    _full_history(scale["large_rows"], f"{scale['ratio']:.3f}×")
    return _Value(float(scale["ratio"]), note, bound)


def _purge_value(result: dict[str, Any], goal: Goal) -> _Value:
    """From the scale suite's `purge` (kasir_bench.purge): the longest transaction (the time
    it was open, not its wait to begin) or the resident growth of the purge's process."""
    db, name = goal.key.split(".", 1)
    purge = _suite(result, dict(SCALE_SUITES)[db]).get("purge")
    if purge is None:
        raise _Missing("no purge figures")
    if "error" in purge:
        raise _Missing("measuring the purge failed")
    run = purge[_PURGE_GOALS[name][3]]
    if not run.get("transactions") or not run.get("entries"):
        raise _Missing("the purge run blanked nothing")
    if name.endswith("_memory_mib"):
        value = float(run["growth_mib"])
        note = f"{run['rss_mib_before']} → peak {run['rss_mib_peak']} MiB"
    else:
        value = float(run["longest_ms"])
        note = f"transaction {run['longest_at']} of {run['transactions']}"
    note += f", {run['entries']:,} entries in {run['seconds']:.1f} s"
    _full_history(purge["rows"], f"{value:g} {goal.unit} ({note})")
    return _Value(value, note)


def _memory_verdict(result: dict[str, Any], goal: Goal) -> tuple[float, bool]:
    """The steady growth in MiB, and the suite's own verdict, which allows the few MiB that
    come and go with SQLite's overflow connections (kasir_bench.memory)."""
    suite = _suite(result, goal.key.split(".", 1)[0])
    if "memory" not in suite:
        raise _Missing("no memory figures")
    return float(suite["memory"]["steady_growth_mib"]), not suite["memory"]["grew"]


def _value(result: dict[str, Any], goal: Goal) -> _Value:
    if goal.key.endswith(".scale_ratio"):
        return _scale_value(result, goal)
    if goal.key.split(".", 1)[1] in _PURGE_GOALS:
        return _purge_value(result, goal)
    return _suite_value(result, goal)


def judge(result: dict[str, Any], goal: Goal) -> Verdict:
    """The goal's verdict in this run."""
    fixed = (goal.key, goal.title, goal.target, goal.unit, goal.higher, goal.target_text)
    try:
        if goal.key.endswith(".memory_growth"):
            growth, steady = _memory_verdict(result, goal)
            return Verdict(*fixed, round(growth, 3), steady, "")
        found = _value(result, goal)
    except _Missing as missing:
        return Verdict(*fixed, None, None, str(missing))
    if goal.unit == "µs":
        found = _Value(found.value, _join(found.note, _machine_pace(result, goal)), found.bound)
    met: bool | None = found.value >= goal.target if goal.higher else found.value <= goal.target
    # A bound settles the verdict on one side only: a lower bound that meets a "higher is
    # better" target, or an upper bound that misses it.
    unsettled = (found.bound == "lower" and not met) or (found.bound == "upper" and met)
    note = f"{found.note}: {found.bound} bound, so unsettled" if unsettled else found.note
    return Verdict(*fixed, round(found.value, 3), None if unsettled else met, note)


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


def compare(one: dict[str, Any], other: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each scenario both suites ran: rates, their ratio (other / one) and CPU per request."""
    compared = {}
    for scenario, first in one.get("figures", {}).items():
        second = other.get("figures", {}).get(scenario)
        if second is None or not first["rps"]:
            continue
        compared[scenario] = {
            "rps": [round(first["rps"], 1), round(second["rps"], 1)],
            "ratio": round(second["rps"] / first["rps"], 3),
            "server_cpu_us_per_request": [
                first["server_cpu_us_per_request"],
                second["server_cpu_us_per_request"],
            ],
        }
    return compared


def _servers(suites: dict[str, Any]) -> dict[str, Any]:
    """Every suite also run on another server (`sqlite@granian`) against uvicorn's."""
    found = {}
    for name, suite in suites.items():
        base, _, server = name.partition("@")
        if server in SERVERS and base in suites:
            found[name] = {"against": base, "scenarios": compare(suites[base], suite)}
    return found


def evaluate(result: dict[str, Any]) -> None:
    """Add `goals` (every goal with its verdict), `scale`, `workers` and `servers`."""
    suites = result["suites"]
    scale = {}
    for db, suite_name in SCALE_SUITES:
        found = _scale(suites.get(suite_name, {}), result["run_id"])
        if found is not None:
            scale[db] = found
    result["scale"] = scale
    result["goals"] = [asdict(judge(result, goal)) for goal in goal_list(result)]
    # Informational (no goal on two shared cores): 2 workers against 1 on PostgreSQL.
    result["workers"] = compare(suites["pg"], suites["pg2"]) if {"pg", "pg2"} <= set(suites) else {}
    result["servers"] = _servers(suites)


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _machine_pace(result: dict[str, Any], goal: Goal) -> str:
    """A CPU goal's target at this machine's pace: scaled by how much more (or less) CPU the bare
    form route takes here than where the goal was set. Informational: the verdict stays on the
    target as written."""
    suite_name = goal.key.split(".", 1)[0]
    reference = REFERENCE_BASE_FORM_CPU_US.get(suite_name)
    bare = result["suites"].get(suite_name, {}).get("figures", {}).get("base_form", {})
    here = bare.get("server_cpu_us_per_request")
    if reference is None or not here:
        return ""
    pace = float(here) / reference
    return (
        f"the bare form route takes {float(here):,.0f} µs here, {reference:,.0f} µs where the "
        f"goal was set (×{pace:.1f}): at this pace the target reads {goal.target * pace:,.0f} µs"
    )
