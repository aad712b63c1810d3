"""`make bench` judges every goal of issue #17: met or not met when the run measured it, and
"not measured" with the reason when it did not (never silently left out)."""

import copy
from typing import Any

import pytest

from kasir_bench.constants import GOALS, SCALE_GOAL_ROWS
from kasir_bench.goals import evaluate
from kasir_bench.load import Figure
from kasir_bench.suites import add_ratios

NO_ERRORS = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
# Rates and CPU that meet every goal on both databases.
GOOD = {
    "base_form": (1000.0, 100.0),
    "callback": (300.0, 700.0),
    "naive_callback": (500.0, 300.0),
    "dup_callback": (600.0, 300.0),
    "base_json": (1000.0, 100.0),
    "qris": (300.0, 900.0),
    "base_get": (1000.0, 100.0),
    "get_order": (600.0, 300.0),
}


def _figure(scenario: str, rps: float, cpu_us: float) -> Figure:
    return Figure(
        scenario=scenario,
        path="/",
        rps=rps,
        p50_ms=5.0,
        p90_ms=10.0,
        p99_ms=20.0,
        p999_ms=30.0,
        max_ms=40.0,
        requests=int(rps * 10),
        seconds=10.0,
        errors=dict(NO_ERRORS),
        exhausted=False,
        server_cpu_us_per_request=cpu_us,
        postgres_backend_cpu_us_per_request=None,
        load_generator_cpu_pct=10.0,
        postgres_cpu_pct=0.0,
        other_cpu_pct=0.0,
    )


def _full_suite(rates: dict[str, tuple[float, float]]) -> dict[str, Any]:
    figures = {name: _figure(name, rps, cpu) for name, (rps, cpu) in rates.items()}
    add_ratios(figures)
    return {
        "figures": {name: vars(f) for name, f in figures.items()},
        "memory": {"steady_growth_mib": 0.5, "grew": False},
    }


def _scale_suite(large_rows: int, large_rps: float) -> dict[str, Any]:
    small = vars(_figure("callback", 300.0, 700.0)) | {"runs_rps": [300.0]}
    large = vars(_figure("callback", large_rps, 700.0)) | {"runs_rps": [large_rps]}
    return {
        "seeded": {"small": {"orders": 1_000}, "large": {"orders": large_rows}},
        "figures": {"small": small, "large": large},
    }


def _result(**suites: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": "test",
        "settings": {"connections": 16, "base_rows": 1_000},
        "suites": suites,
    }


def _everything() -> dict[str, Any]:
    return _result(
        sqlite=_full_suite(GOOD),
        pg=_full_suite(GOOD),
        pg2=_full_suite(GOOD),
        **{
            "scale-sqlite": _scale_suite(SCALE_GOAL_ROWS, 290.0),
            "scale-pg": _scale_suite(SCALE_GOAL_ROWS, 290.0),
        },
    )


def _verdicts(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    evaluate(result)
    return {goal["key"]: goal for goal in result["goals"]}


def test_every_goal_of_the_issue_is_judged_and_a_run_that_meets_them_meets_them() -> None:
    verdicts = _verdicts(_everything())

    per_database = {f"{db}.{name}" for db, targets in GOALS.items() for name in targets}
    assert per_database | {
        "sqlite.memory_growth",
        "pg.memory_growth",
        "pg2.memory_growth",
        "sqlite.scale_ratio",
        "postgresql.scale_ratio",
    } == set(verdicts)
    assert {key: v["met"] for key, v in verdicts.items()} == dict.fromkeys(verdicts, True)
    assert verdicts["pg.callback_vs_naive"]["value"] == 0.6  # 300 / 500 rps


MISSED = {
    "a paying callback below its ratio": ("callback", 220.0, 700.0, "pg.callback_ratio"),
    "a paying callback costing more CPU": ("callback", 300.0, 900.0, "pg.callback_cpu_us"),
    "a duplicate costing more CPU": ("dup_callback", 600.0, 450.0, "sqlite.dup_callback_cpu_us"),
    "an order read below its ratio": ("get_order", 350.0, 300.0, "sqlite.get_order_ratio"),
    "a naive callback far faster": ("naive_callback", 900.0, 300.0, "pg.callback_vs_naive"),
}


@pytest.mark.parametrize(("scenario", "rps", "cpu", "key"), MISSED.values(), ids=list(MISSED))
def test_a_figure_on_the_wrong_side_of_its_target_is_not_met(
    scenario: str, rps: float, cpu: float, key: str
) -> None:
    result = _everything()
    database = key.split(".", maxsplit=1)[0]
    result["suites"][database] = _full_suite({**GOOD, scenario: (rps, cpu)})

    verdicts = _verdicts(result)

    assert verdicts[key]["met"] is False
    assert verdicts[key]["value"] is not None
    assert [k for k, v in verdicts.items() if v["met"] is False] == [key]


def test_a_slow_p99_and_memory_growth_are_not_met() -> None:
    result = _everything()
    result["suites"]["sqlite"]["figures"]["callback"]["p99_ms"] = 131.0
    result["suites"]["pg2"]["memory"] = {"steady_growth_mib": 40.0, "grew": True}

    verdicts = _verdicts(result)

    assert (verdicts["sqlite.callback_p99_ms"]["met"], verdicts["pg2.memory_growth"]["met"]) == (
        False,
        False,
    )


def test_goals_of_suites_not_run_or_failed_are_listed_as_not_measured() -> None:
    result = _result(sqlite=_full_suite(GOOD))
    result["failed"] = {"pg": "Traceback ..."}

    verdicts = _verdicts(result)

    assert verdicts["sqlite.callback_ratio"]["met"] is True
    assert (verdicts["pg.callback_ratio"]["met"], verdicts["pg.callback_ratio"]["note"]) == (
        None,
        "suite pg failed",
    )
    assert verdicts["pg2.memory_growth"]["note"] == "suite pg2 not run"
    assert verdicts["postgresql.scale_ratio"]["value"] is None


def test_a_figure_missing_or_spoilt_by_errors_is_not_measured() -> None:
    rates = dict(GOOD)
    del rates["naive_callback"]
    result = _result(sqlite=_full_suite(rates), pg=_full_suite(GOOD))
    result["suites"]["pg"]["figures"]["qris"]["errors"]["status"] = 3

    verdicts = _verdicts(result)

    assert (verdicts["sqlite.callback_vs_naive"]["met"], verdicts["pg.qris_ratio"]["met"]) == (
        None,
        None,
    )
    assert verdicts["sqlite.callback_vs_naive"]["note"] == "no naive_callback figure"
    assert verdicts["pg.qris_ratio"]["note"] == "qris had 3 errors"


def test_a_smoke_run_does_not_claim_the_goals_it_did_not_measure_as_stated() -> None:
    result = _everything()
    result["settings"]["connections"] = 4
    result["suites"]["scale-pg"] = _scale_suite(20_000, 290.0)

    verdicts = _verdicts(result)

    assert verdicts["pg.callback_p99_ms"]["met"] is None
    assert verdicts["postgresql.scale_ratio"]["met"] is None
    assert "20,000 rows" in verdicts["postgresql.scale_ratio"]["note"]
    assert verdicts["sqlite.scale_ratio"]["met"] is True


def test_two_workers_are_compared_with_one_without_a_goal() -> None:
    result = _everything()
    faster = {name: (rps * 1.5, cpu) for name, (rps, cpu) in GOOD.items()}
    result["suites"]["pg2"] = _full_suite(faster)

    evaluate(result)

    assert result["workers"]["callback"]["ratio"] == 1.5
    assert not [g for g in result["goals"] if "workers" in g["key"]]


def test_a_suite_run_on_granian_is_compared_with_the_same_suite_on_uvicorn() -> None:
    result = _everything()
    result["suites"]["sqlite@granian"] = copy.deepcopy(result["suites"]["sqlite"])
    result["suites"]["sqlite@granian"]["figures"]["base_form"]["rps"] = 2000.0

    evaluate(result)

    compared = result["servers"]["sqlite@granian"]
    assert compared["against"] == "sqlite"
    assert compared["scenarios"]["base_form"]["ratio"] == 2.0
    assert compared["scenarios"]["callback"]["ratio"] == 1.0
