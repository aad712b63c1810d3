"""Which characters a text value may hold: no control characters, ever, in an identifier.

PostgreSQL refuses a NUL in text (`invalid byte sequence for encoding "UTF8": 0x00`) and SQLite
stores it silently; other C0 controls and DEL break logs, CSV exports and receipts. So every
value that comes in from the outside is refused (400) when it holds one, before any database
call. Free-text notes may hold tab, line feed and carriage return; nothing else may.
"""

import re

# C0 controls, DEL and the C1 controls (U+0080..U+009F): never part of a name, id or note.
# Written as regex escapes, so the patterns in the OpenAPI document stay printable.
CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f"
_FREE_TEXT_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"

# For msgspec.Meta(pattern=...): a whole value without control characters.
SINGLE_LINE = f"^[^{CONTROL_CHARACTERS}]*$"
# Notes typed by staff may hold tabs and line breaks.
FREE_TEXT = f"^[^{_FREE_TEXT_CONTROLS}]*$"

_ANY_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
ASCII_DIGITS = re.compile(r"[0-9]+")


def has_control_characters(text: str) -> bool:
    """True when `text` holds a character no identifier or single-line text may hold."""
    return _ANY_CONTROL.search(text) is not None


def is_ascii_digits(text: str) -> bool:
    """True for `0`-`9` only: no sign, no spaces, no `_`, no fullwidth or other digits."""
    return ASCII_DIGITS.fullmatch(text) is not None
