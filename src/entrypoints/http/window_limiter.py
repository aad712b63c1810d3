"""Sliding-window counts per client address: failed notifications, successful creations."""

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class WindowLimiter:
    """At most `limit` counted events per address in a sliding `window` seconds, per process.

    The caller decides what counts: failed verifications for the webhook, successful
    creations for orders and QRIS payments; never what the genuine caller needs to get through.

    For the webhook: once an address is over the limit, whatever fails verification from it
    is refused before anything is stored, so a flood of forgeries costs no database write;
    what verifies still goes through (the caller checks that). Memory is bounded: the least
    recently seen addresses are forgotten beyond `max_addresses`.
    """

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._max = max_addresses
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float]:
        now = self._clock()
        failures = self._failures.get(address)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= self._window:
            failures.popleft()
        return failures

    def blocked(self, address: str) -> bool:
        return self._limit > 0 and len(self._recent(address)) >= self._limit

    def retry_after(self, address: str) -> int:
        failures = self._recent(address)
        if not failures:
            return 1
        return max(1, int(self._window - (self._clock() - failures[0])) + 1)

    def record(self, address: str) -> None:
        if self._limit <= 0:
            return
        failures = self._recent(address)
        failures.append(self._clock())
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > self._max:
            self._failures.popitem(last=False)
