"""The webhook dispatcher of a serving process (application.use_cases.dispatch_webhooks).

One asyncio task reads when the earliest delivery falls due; when one is, it gives every
active subscription without a running batch a task of its own, which leases and sends a
batch (at most WEBHOOK_CONCURRENCY_PER_SUBSCRIBER at once) and goes on while there is more:
a slow or dead subscriber only ever occupies its own task, never another subscriber's, never
a request. The loop then sleeps until the earliest due
delivery, at most WEBHOOK_DISPATCH_INTERVAL_SECONDS, and is woken at once when this process
commits an event (the container's `webhook_wakeups`). Several processes on one database
share the work through the deliveries' leases.

Started and stopped by the lifespan (`webhook_dispatch`), after the fixed subscriber of the
settings (or of simulator mode) has been brought in step with them.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from litestar import Litestar

from adapters.observability.metrics import count_webhook_deliveries
from entrypoints.container import Container, ensure_setting_subscription

logger = logging.getLogger("kasir.webhooks")

MIN_PAUSE_SECONDS = 0.05


class WebhookDispatcher:
    """Runs until cancelled; `tasks` holds the running batch of each subscription."""

    def __init__(self, container: Container, *, owner: str, interval: float) -> None:
        self._container = container
        self.owner = owner
        self._interval = interval
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def run_forever(self) -> None:
        wakeups = self._container.webhook_wakeups()
        try:
            while True:
                due_in = await self._due_in()
                if due_in is not None and due_in <= 0:
                    # Leases are write transactions (SQLite's one writer): take them only
                    # when a read says something is due.
                    await self.start_due()
                    pause = MIN_PAUSE_SECONDS
                else:
                    pause = self._interval if due_in is None else min(self._interval, due_in)
                await wakeups.wait(max(pause, MIN_PAUSE_SECONDS))
        finally:
            for task in self.tasks.values():
                task.cancel()
            for task in self.tasks.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def start_due(self) -> None:
        """A batch task for every active subscription that has none running."""
        try:
            subscriptions = await self._container.dispatch_webhooks().active_subscriptions()
        except Exception:
            logger.exception("reading the webhook subscriptions failed")
            return
        for subscription_id in subscriptions:
            running = self.tasks.get(subscription_id)
            if running is None or running.done():
                self.tasks[subscription_id] = asyncio.create_task(
                    self._drain(subscription_id), name=f"kasir-webhooks-{subscription_id}"
                )

    async def _drain(self, subscription_id: str) -> None:
        dispatch = self._container.dispatch_webhooks()
        while True:
            try:
                report = await dispatch.deliver_due(subscription_id, owner=self.owner)
            except Exception:
                logger.exception(
                    "delivering webhooks failed", extra={"subscription": subscription_id}
                )
                return
            count_webhook_deliveries(
                delivered=report.delivered, failed=report.failed, gave_up=report.gave_up
            )
            if report.failed or report.gave_up:
                logger.warning(
                    "webhook deliveries failed",
                    extra={
                        "subscription": subscription_id,
                        "failed": report.failed,
                        "gave_up": report.gave_up,
                    },
                )
            if not (report.delivered or report.failed or report.gave_up):
                return

    async def _due_in(self) -> float | None:
        """Seconds until the earliest due delivery (0 when one is due), None when none is
        pending or the database could not say."""
        try:
            return await self._container.dispatch_webhooks().seconds_until_due()
        except Exception:
            logger.exception("reading the next due webhook delivery failed")
            return None


def webhook_dispatch(
    container: Container, *, enabled: bool, owner: str
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    """Lifespan: bring the fixed subscriber in step with the settings, run the dispatcher
    when `enabled` and WEBHOOK_DISPATCH_INTERVAL_SECONDS is above 0, cancel it at shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        interval = container.settings().webhook_dispatch_interval_seconds
        if not enabled or interval <= 0:
            yield
            return
        try:
            await ensure_setting_subscription(container)
        except Exception:
            # The feed's other subscribers still go out; the next start tries again.
            logger.exception("registering the fixed webhook subscriber failed")
        dispatcher = WebhookDispatcher(container, owner=owner, interval=interval)
        task = asyncio.create_task(dispatcher.run_forever(), name="kasir-webhooks")
        app.state.webhook_dispatcher = dispatcher
        logger.info("webhook dispatcher started", extra={"interval_s": interval})
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            logger.info("webhook dispatcher stopped")

    return lifespan
