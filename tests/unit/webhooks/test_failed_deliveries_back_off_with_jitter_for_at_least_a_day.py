"""The retry schedule of a failing delivery: exponential from 5 s, capped at 1 h, jittered
between half and all of each step, and given up only after 24 hours of failures."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from application.webhooks import (
    LONGEST_RETRY,
    RETRY_WINDOW,
    gives_up,
    next_attempt_delay,
)

START = datetime(2026, 3, 4, tzinfo=UTC)


def highest(low: float, high: float) -> float:
    return high


def lowest(low: float, high: float) -> float:
    return low


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 5), (2, 10), (3, 20), (4, 40), (10, 2560), (11, 3600), (60, 3600)],
)
def test_each_retry_waits_twice_as_long_up_to_an_hour(attempts: int, seconds: int) -> None:
    assert next_attempt_delay(attempts, uniform=highest) == timedelta(seconds=seconds)
    assert next_attempt_delay(attempts, uniform=lowest) == timedelta(seconds=seconds / 2)


def test_the_jitter_stays_between_half_and_all_of_the_step() -> None:
    jitter = random.Random(7)
    delays = {next_attempt_delay(6, uniform=jitter.uniform) for _ in range(50)}
    assert all(timedelta(seconds=80) <= d <= timedelta(seconds=160) for d in delays)
    assert len(delays) > 1  # receivers failing together are not retried together


@pytest.mark.parametrize("uniform", [highest, lowest])
def test_a_failing_delivery_is_retried_for_at_least_a_day_then_given_up(uniform: object) -> None:
    now, failures = START, 0
    while not gives_up(START, now):
        failures += 1
        now += next_attempt_delay(failures, uniform=uniform)  # type: ignore[arg-type]
    assert now - START >= RETRY_WINDOW
    assert now - START < RETRY_WINDOW + LONGEST_RETRY
    assert 24 <= failures <= 60


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        next_attempt_delay(0, uniform=highest)
