"""The background job of a serving process, and the one pass `kasir reconcile` runs.

A pass runs the reconciliation (application.use_cases.run_reconciliation), purges expired
idempotency keys, deletes rejected notifications past their retention (bounded batches) and,
about once an hour, removes expired personal data from the notification
inbox. All of it is safe in several processes at once: the reconciliation leases its work
through the database, and the purges are idempotent.

Between passes the loop sleeps `interval` seconds, or less: until the earliest status check
that is due sooner (one kasir scheduled for a success it could not confirm yet, or a slot of
the schedule), read from the database after each pass and again whenever a request in this
process schedules a check (the container's `check_alarm`). So a scheduled check runs within a
fraction of a second of its due time, in whichever process claims it first.

The loop is an asyncio task owned by the Litestar lifespan (`background_jobs`): started after
the app's resources, cancelled (and awaited) at shutdown before they are closed. It runs only
when the app was asked for it (`create_app(..., background_jobs=True)`; the service built from
the environment asks) and RECONCILE_INTERVAL_SECONDS is above 0.
"""

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar import Litestar

from adapters.observability.metrics import count_rejected_notifications_deleted
from application.use_cases.run_reconciliation import new_runner_id
from entrypoints.container import Container

logger = logging.getLogger("kasir.background")

HOUSEKEEPING_EVERY_SECONDS = 3600.0
# The shortest pause between two passes, so a due check that cannot be claimed right now
# (another runner is claiming it) never makes the loop spin.
MIN_PAUSE_SECONDS = 0.25
# Wake this much after a due time, so the clock has surely reached it.
DUE_SLACK_SECONDS = 0.01


def process_runner_id() -> str:
    """A lease owner naming this process, readable in the database when it holds a lease."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{new_runner_id()}"


async def run_pass(container: Container, *, owner: str, housekeeping: bool) -> dict[str, Any]:
    """One pass; returns a JSON-ready summary. A failing step is reported, not raised, so the
    others still run."""
    summary: dict[str, Any] = {}
    try:
        report = await container.run_reconciliation().execute(owner=owner)
        summary["reconciliation"] = report.summary()
    except Exception as error:
        logger.exception("reconciliation pass failed")
        summary["reconciliation"] = {"error": type(error).__name__}
    try:
        summary["idempotency_keys_purged"] = await container.idempotent_requests().purge_expired()
    except Exception as error:
        logger.exception("purging idempotency keys failed")
        summary["idempotency_keys_purged"] = {"error": type(error).__name__}
    try:
        deleted = await container.delete_expired_rejected_notifications().execute()
        count_rejected_notifications_deleted(deleted)
        summary["rejected_notifications_deleted"] = deleted
    except Exception as error:
        logger.exception("deleting expired rejected notifications failed")
        summary["rejected_notifications_deleted"] = {"error": type(error).__name__}
    if housekeeping:
        try:
            summary[
                "personal_data_removed"
            ] = await container.remove_expired_personal_data().execute()
        except Exception as error:
            logger.exception("removing expired personal data failed")
            summary["personal_data_removed"] = {"error": type(error).__name__}
    return summary


class ReconciliationLoop:
    """Runs a pass, pauses (`pause`), and again, until cancelled.

    `wait(seconds)` returns True when woken early (default: the container's check alarm);
    tests pass one that moves their settable clock instead of sleeping.
    """

    def __init__(
        self,
        container: Container,
        *,
        interval: float,
        housekeeping_every: float = HOUSEKEEPING_EVERY_SECONDS,
        owner: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wait: Callable[[float], Awaitable[bool]] | None = None,
    ) -> None:
        self._container = container
        self._interval = interval
        self._housekeeping_every = housekeeping_every
        self.owner = owner or process_runner_id()
        self._monotonic = monotonic
        self._wait = wait or container.check_alarm().wait
        self._last_housekeeping: float | None = None
        self.passes = 0
        self.last_summary: dict[str, Any] | None = None

    async def run_once(self) -> dict[str, Any]:
        now = self._monotonic()
        housekeeping = (
            self._last_housekeeping is None
            or now - self._last_housekeeping >= self._housekeeping_every
        )
        if housekeeping:
            self._last_housekeeping = now
        summary = await run_pass(self._container, owner=self.owner, housekeeping=housekeeping)
        self.passes += 1
        self.last_summary = summary
        if _eventful(summary):
            logger.info("reconciliation pass", extra={"summary": summary})
        return summary

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("reconciliation pass failed")
            await self.pause()

    async def pause(self) -> None:
        """Return when the next pass is due: after `interval` seconds, or at the earliest
        scheduled check if that comes sooner (re-read whenever this process is woken)."""
        deadline = self._monotonic() + self._interval
        while (remaining := deadline - self._monotonic()) > 0:
            delay = min(remaining, await self.seconds_until_due())
            if not await self._wait(delay):
                return

    async def seconds_until_due(self) -> float:
        """Seconds until the earliest scheduled check (at least MIN_PAUSE_SECONDS), or inf."""
        try:
            due = await self._container.run_reconciliation().next_due_at()
        except Exception:
            logger.exception("reading the next scheduled check failed")
            return math.inf
        if due is None:
            return math.inf
        seconds = (due - self._container.clock().now()).total_seconds() + DUE_SLACK_SECONDS
        return max(seconds, MIN_PAUSE_SECONDS)


def background_jobs(
    container: Container, *, enabled: bool
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    """Lifespan: start the reconciliation loop when `enabled`, cancel it cleanly at shutdown.

    The running loop and its task are published on `app.state` (`reconciliation_loop`,
    `reconciliation_task`) for inspection only; no handler reads them.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        interval = container.settings().reconcile_interval_seconds
        if not enabled or interval <= 0:
            yield
            return
        loop = ReconciliationLoop(container, interval=interval)
        task = asyncio.create_task(loop.run_forever(), name="kasir-reconciliation")
        app.state.reconciliation_loop, app.state.reconciliation_task = loop, task
        logger.info(
            "reconciliation job started", extra={"interval_s": interval, "owner": loop.owner}
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            logger.info("reconciliation job stopped")

    return lifespan


def _eventful(summary: dict[str, Any]) -> bool:
    reconciliation = summary.get("reconciliation", {})
    return bool(
        reconciliation.get("error")
        or reconciliation.get("checked")
        or reconciliation.get("deferred")
        or reconciliation.get("errors")
        or summary.get("idempotency_keys_purged")
        or summary.get("personal_data_removed")
        or summary.get("rejected_notifications_deleted")
    )
