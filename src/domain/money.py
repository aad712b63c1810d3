"""Money is a whole number of rupiah: IDR has no minor unit at Duitku, and floats lose money."""

from domain.errors import InvalidAmount

# Above what any restaurant order plausibly reaches; keeps amounts inside a signed 64-bit column.
MAX_RUPIAH = 1_000_000_000_000


def rupiah(value: int, *, what: str = "amount") -> int:
    """Return `value` if it is a whole, non-negative number of rupiah, else raise InvalidAmount."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(f"{what} must be a whole number of rupiah")
    if value < 0 or value > MAX_RUPIAH:
        raise InvalidAmount(f"{what} must be between 0 and {MAX_RUPIAH} rupiah")
    return value
