"""Duitku sends rupiah amounts as strings; only whole amounts are money kasir accepts."""

import pytest

from adapters.duitku.amounts import parse_whole_rupiah


@pytest.mark.parametrize(
    ("text", "expected"),
    [("150000", 150000), ("150000.00", 150000), ("0", 0), (40000, 40000)],
)
def test_whole_rupiah_amounts_parse_to_integers(text: str | int, expected: int) -> None:
    assert parse_whole_rupiah(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "150000.50",
        "10000.0",
        "1e5",
        "-1",
        "+1",
        "150.000",
        "150,000",
        "1.000.000",
        "",
        " 1",
        "1 ",
        "١٢٣",
        "0x10",
        "1.",
        -5,
    ],
)
def test_anything_but_a_whole_non_negative_amount_is_refused(text: str | int) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_whole_rupiah(text)


def test_a_boolean_is_not_an_amount() -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_whole_rupiah(True)
