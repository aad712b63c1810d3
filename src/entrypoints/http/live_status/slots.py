"""Bounds on open live status streams: per process and per order (429 `too_many_streams`).

A stream costs a connection and a little memory, never a database connection while it waits;
the bounds keep one order (a tab reopened many times) or a flood of clients from taking them
all. A slot is taken before the stream starts and given back when it ends, however it ends.
"""

import contextlib
from collections import Counter
from collections.abc import Iterator

from application.errors import ApplicationError

RETRY_AFTER_SECONDS = 30


class TooManyStreams(ApplicationError):
    code = "too_many_streams"


class StreamSlots:
    def __init__(self, *, per_process: int, per_order: int) -> None:
        self._per_process = per_process
        self._per_order = per_order
        self._open: Counter[int] = Counter()

    @property
    def open(self) -> int:
        return sum(self._open.values())

    def take(self, order_id: int) -> "StreamSlot":
        """A slot for one more stream of `order_id`; raises TooManyStreams beyond a bound."""
        if self.open >= self._per_process:
            raise TooManyStreams("this process has as many open streams as it allows")
        if self._open[order_id] >= self._per_order:
            raise TooManyStreams("this order has as many open streams as it allows")
        self._open[order_id] += 1
        return StreamSlot(self, order_id)

    def _give_back(self, order_id: int) -> None:
        self._open[order_id] -= 1
        if self._open[order_id] <= 0:
            del self._open[order_id]


class StreamSlot:
    """One taken slot; `held()` gives it back when the block ends (once)."""

    def __init__(self, slots: StreamSlots, order_id: int) -> None:
        self._slots = slots
        self._order_id = order_id
        self._returned = False

    def __del__(self) -> None:
        # A response that never started (the client left first) never runs its stream: the
        # slot still comes back when the stream object goes away.
        self.give_back()

    def give_back(self) -> None:
        if not self._returned:
            self._returned = True
            self._slots._give_back(self._order_id)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.give_back()
