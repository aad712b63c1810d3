"""SingleFlight remembers a bounded number of finished keys, forgetting the oldest first."""

from datetime import UTC, datetime, timedelta

from application.coalescing import SingleFlight

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_it_remembers_at_most_the_limit_and_forgets_the_key_noted_longest_ago() -> None:
    flight: SingleFlight[str] = SingleFlight(remember=3)
    for i, key in enumerate("abcd"):
        flight.note_finished(key, T0 + timedelta(seconds=i))

    assert not flight.finished_since("a", T0)
    assert all(flight.finished_since(key, T0) for key in "bcd")


def test_noting_a_key_again_keeps_it_as_the_newest() -> None:
    flight: SingleFlight[str] = SingleFlight(remember=3)
    for i, key in enumerate("abc"):
        flight.note_finished(key, T0 + timedelta(seconds=i))
    flight.note_finished("a", T0 + timedelta(seconds=3))
    flight.note_finished("d", T0 + timedelta(seconds=4))

    assert flight.finished_since("a", T0 + timedelta(seconds=3))
    assert not flight.finished_since("b", T0)
    assert all(flight.finished_since(key, T0) for key in "cd")


def test_a_full_memory_costs_no_scan_per_key() -> None:
    flight: SingleFlight[str] = SingleFlight()  # the default limit, 10,000
    for i in range(30_000):  # with a scan per key over the limit this took seconds
        flight.note_finished(f"KSR-{i}", T0 + timedelta(microseconds=i))

    assert flight.finished_since("KSR-29999", T0)
    assert not flight.finished_since("KSR-19999", T0)
    assert flight.finished_since("KSR-20000", T0)
