"""Parsing Duitku's rupiah amounts, which arrive as strings ("100000", sometimes "100000.00")."""

import re

# Whole rupiah, optionally with a ".00" cent part. Exactly two zeros, because "150.000" is
# Indonesian for 150 000 and must not read as 150. Bounded so int() stays cheap; no sign,
# exponent or separators; ASCII digits only.
_WHOLE_RUPIAH = re.compile(r"[0-9]{1,15}(?:\.00)?", re.ASCII)


def parse_whole_rupiah(value: str | int) -> int:
    """The integer rupiah amount in `value`; ValueError when it is not a whole amount.

    Accepts "150000", "150000.00" and a non-negative int; rejects "150000.50", "1e5", "-1",
    "150.000" (a thousands separator) and "" because money is never rounded or guessed.
    """
    if isinstance(value, bool):
        raise ValueError("amount must be a whole number of rupiah")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("amount must not be negative")
        return value
    if not _WHOLE_RUPIAH.fullmatch(value):
        raise ValueError("amount must be a whole number of rupiah")
    return int(value.split(".", 1)[0])
