"""The purge measurement (kasir_bench.purge) times each transaction and keeps a smoke run's
short history as far past the retention as a year of history is."""

from datetime import timedelta

from kasir_bench.purge import retention_for
from kasir_bench.purge_probe import summary
from kasir_bench.seed import SECONDS_BETWEEN_ORDERS


def test_a_year_of_history_is_purged_with_kasirs_own_retention() -> None:
    assert retention_for(1_000_000) == timedelta(days=90)


def test_a_smoke_runs_week_of_history_keeps_three_quarters_past_the_retention() -> None:
    rows = 20_000
    history = timedelta(seconds=rows * SECONDS_BETWEEN_ORDERS)

    retention = retention_for(rows)

    # The seed's orders end a day before now: what lies past the retention, as a share.
    past = (history + timedelta(days=1) - retention) / history
    assert round(past, 2) == 0.75


def test_the_longest_transaction_is_named_by_its_place_and_waiting_is_not_holding() -> None:
    # (waited to begin, open) in seconds, in run order
    record = [(0.001, 0.010), (0.500, 0.030), (0.002, 0.020)]

    figures = summary(record)

    assert (figures["transactions"], figures["longest_ms"], figures["longest_at"]) == (3, 30.0, 2)
    assert (figures["median_ms"], figures["longest_wait_ms"]) == (20.0, 500.0)


def test_a_run_without_a_transaction_says_so() -> None:
    assert summary([]) == {"transactions": 0}
