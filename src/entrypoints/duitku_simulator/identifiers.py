"""Duitku-looking identifiers and payer details for simulated transactions."""

import secrets
import string

_UPPER_ALNUM = string.ascii_uppercase + string.digits


def random_upper_alnum(length: int) -> str:
    """Random upper-case letters and digits, as Duitku uses in its identifiers."""
    return "".join(secrets.choice(_UPPER_ALNUM) for _ in range(length))


def new_reference(merchant_code: str) -> str:
    """A reference shaped like real sandbox ones: merchant code + 17 characters.

    Example from API.md §2: ``DS213572411Y4OL8KIJE0G5C`` (``DS21357`` + 17).
    """
    return merchant_code + random_upper_alnum(17)


def new_publisher_order_id() -> str:
    """Duitku's payment number sent in callbacks; its real format is undocumented."""
    return random_upper_alnum(20)


def mask_name(name: str) -> str:
    """Mask a payer name word by word the way QRIS callbacks do: ``John Doe`` -> ``J*** D**``."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
