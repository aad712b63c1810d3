"""Reusable field constraints: what a well-formed request looks like before any rule runs."""

from typing import Annotated

import msgspec
from litestar.params import PathParameter

from entrypoints.http.input_guard import CONTROL_CHARACTERS, FREE_TEXT, SINGLE_LINE

# Inside a signed 64-bit database integer, and exact as the float the OpenAPI document
# renders it as (2**62 was printed rounded up, so the schema allowed ids the API refused).
MAX_ID = 10**18
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# An id in a path: bounded too, or a huge number reaches the database driver and overflows.
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Rupiah = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000_000, description="whole rupiah")]
Price = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000_000, description="whole rupiah, > 0")]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=99)]
# Text never holds control characters (NUL breaks PostgreSQL; see the text rules in
# entrypoints.http.input_guard).
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=SINGLE_LINE)]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=SINGLE_LINE)]
TableNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=SINGLE_LINE)]
_EMAIL_PART = rf"[^@\s{CONTROL_CHARACTERS}]+"
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3, max_length=50, pattern=rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$"
    ),
]
Phone = Annotated[str, msgspec.Meta(min_length=6, max_length=20, pattern=r"^\+?[0-9 ()-]+$")]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=FREE_TEXT)]
