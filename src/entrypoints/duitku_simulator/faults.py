"""Runtime fault injection for the simulated Duitku API.

Faults model what a client of Duitku must survive: slowness, server errors, and responses
that never arrive although the request was processed.
"""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from entrypoints.duitku_simulator.config import FaultSettings

_COUNTERS = ("latency_ms", "fail_next", "timeout_next")

T = TypeVar("T")


class FaultInjector:
    """Holds the active faults and applies them around one API call."""

    def __init__(self, initial: FaultSettings, *, timeout_sleep_s: float) -> None:
        self._settings = initial
        self._timeout_sleep_s = timeout_sleep_s

    @property
    def settings(self) -> FaultSettings:
        """The faults currently in force."""
        return self._settings

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Change only the given faults; raises ValueError on unknown names or bad values."""
        known = {f.name for f in dataclasses.fields(FaultSettings)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(unknown)}")
        for name, value in changes.items():
            # bool is an int subclass; a counter set to true is a client mistake.
            if name in _COUNTERS and (type(value) is not int or value < 0):
                raise ValueError(f"{name} must be a non-negative integer")
            if name == "wrong_callback_signature" and type(value) is not bool:
                raise ValueError(f"{name} must be a boolean")
        self._settings = dataclasses.replace(self._settings, **changes)
        return self._settings

    def reset(self) -> FaultSettings:
        """Clear every fault (not back to the configured ones: reset means a clean API)."""
        self._settings = FaultSettings()
        return self._settings

    def take_failure(self) -> bool:
        """Consume one ``fail_next`` if any is left."""
        if self._settings.fail_next == 0:
            return False
        self._settings = dataclasses.replace(self._settings, fail_next=self._settings.fail_next - 1)
        return True

    def take_timeout(self) -> bool:
        """Consume one ``timeout_next`` if any is left."""
        if self._settings.timeout_next == 0:
            return False
        self._settings = dataclasses.replace(
            self._settings, timeout_next=self._settings.timeout_next - 1
        )
        return True

    async def around_api_call(
        self,
        process: Callable[[], Awaitable[T]],
        *,
        internal_error: Callable[[], T],
        client_gone: Callable[[], Awaitable[None]] | None = None,
    ) -> T:
        """Run one API call under the active faults.

        Order: latency, then an injected 500 (the request is *not* processed), then the
        real processing, then an injected timeout that holds the already-computed response.
        The timeout deliberately processes first: a lost response to a request Duitku did
        act on is the case a client must reconcile with transactionStatus. The hold ends
        early when ``client_gone`` completes, so a server can shut down without waiting
        for a response nobody will read.
        """
        if self._settings.latency_ms:
            await asyncio.sleep(self._settings.latency_ms / 1000)
        if self.take_failure():
            return internal_error()
        timed_out = self.take_timeout()
        result = await process()
        if timed_out:
            await self._hold(client_gone)
        return result

    async def _hold(self, client_gone: Callable[[], Awaitable[None]] | None) -> None:
        if client_gone is None:
            await asyncio.sleep(self._timeout_sleep_s)
            return
        watcher = asyncio.ensure_future(client_gone())
        try:
            await asyncio.wait({watcher}, timeout=self._timeout_sleep_s)
        finally:
            watcher.cancel()
