"""Sharing one gateway status check between concurrent requests in this process.

Duitku sends the same callback several times, often at once. The first request asks the
gateway; the others in this process wait for that answer instead of being told to retry.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Runs at most one call per key at a time; concurrent callers share its result.

    It also keeps, when told, the time each key's last real call finished, so a caller can tell
    "a check is running in another process" from "a check just finished here".
    """

    def __init__(self, *, remember: int = 10_000) -> None:
        self._running: dict[str, asyncio.Future[T]] = {}
        self._finished: dict[str, datetime] = {}
        self._remember = remember

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The call's result, and whether this caller ran it (False: it joined a running one)."""
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running), False
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            result = await call()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved here, so an unjoined failure is not reported twice
            raise
        else:
            future.set_result(result)
            return result, True
        finally:
            del self._running[key]

    def finished_since(self, key: str, since: datetime) -> bool:
        """Whether a call for `key` was noted as finished at or after `since`."""
        finished = self._finished.get(key)
        return finished is not None and finished >= since

    def note_finished(self, key: str, at: datetime) -> None:
        # Kept in the order noted (a key noted again moves to the end), so the one noted longest
        # ago is the first: forgetting it is O(1), not a scan of all `remember` entries (which
        # cost ~0.3 ms per status check once full; docs/benchmarks.md).
        self._finished.pop(key, None)
        self._finished[key] = at
        if len(self._finished) > self._remember:
            del self._finished[next(iter(self._finished))]
