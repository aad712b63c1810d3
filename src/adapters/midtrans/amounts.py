"""Midtrans's `gross_amount`: a decimal string ("70000.00") read exactly as whole rupiah."""

import re

# Digits, optionally a fraction of zeros only: "70000", "70000.0", "70000.00". Anything else
# (cents, an exponent, a sign, separators, "70.000" read as 70) is refused, never rounded.
_WHOLE = re.compile(r"([0-9]{1,15})(?:\.0{1,2})?", re.ASCII)


def parse_gross_amount(value: str | int) -> int:
    """The integer rupiah in `value`; ValueError when it is not a whole, non-negative amount."""
    if isinstance(value, bool):
        raise ValueError("gross_amount must be a whole number of rupiah")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("gross_amount must not be negative")
        return value
    match = _WHOLE.fullmatch(value)
    if match is None:
        raise ValueError("gross_amount must be a whole number of rupiah")
    return int(match.group(1))
