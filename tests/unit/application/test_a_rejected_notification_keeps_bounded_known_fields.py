"""What a rejected notification may store: known fields only, each and all together bounded."""

from application.inbox import (
    MAX_REJECTED_FIELD_CHARS,
    MAX_REJECTED_TOTAL_CHARS,
    bounded_fields,
)

KNOWN = frozenset({f"field{n}" for n in range(40)})


def test_unknown_fields_are_dropped_and_long_values_cut() -> None:
    kept = bounded_fields({"field1": "x" * 10_000, "junk": "y", "field2": "ok"}, KNOWN)
    assert kept == {"field1": "x" * MAX_REJECTED_FIELD_CHARS, "field2": "ok"}


def test_the_total_stays_under_the_bound_however_many_known_fields_come() -> None:
    kept = bounded_fields({f"field{n}": "v" * 1_000 for n in range(40)}, KNOWN)
    assert 0 < len(kept) < 40
    assert sum(len(key) + len(value) for key, value in kept.items()) <= MAX_REJECTED_TOTAL_CHARS


def test_without_a_list_of_known_fields_every_field_is_kept_but_still_bounded() -> None:
    kept = bounded_fields({"k" * 1_000: "v" * 1_000}, None)
    assert kept == {"k" * MAX_REJECTED_FIELD_CHARS: "v" * MAX_REJECTED_FIELD_CHARS}
