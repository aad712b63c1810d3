"""Detached copies, so a caller's changes reach the store only through update and commit."""

import copy
from typing import TypeVar

T = TypeVar("T")


def detached(entity: T) -> T:
    """A deep copy whose recorded events (if any) are dropped: events are not state."""
    clone = copy.deepcopy(entity)
    events = getattr(clone, "events", None)
    if isinstance(events, list):
        events.clear()
    return clone
