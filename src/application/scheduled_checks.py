"""Status checks kasir schedules for itself instead of waiting on the gateway's retries.

A correctly signed success that kasir cannot confirm yet (the attempt's status-check budget was
spent by a check moments ago, the gateway could not be asked, or it still says pending) used to
be answered 503 so that Duitku would send it again; Duitku retries only a few times, on its own
spacing, and e-mails the merchant about the failures. Instead kasir commits a due time on the
attempt, the moment the budget allows another call, and answers 200: the reconciliation job
(in any process, and after a restart) claims the attempt then, and this process's runner is
woken for it rather than waiting for its next interval.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports import CheckAlarm, Clock, ReconciliationQueue


@dataclass(frozen=True, slots=True)
class ScheduledChecks:
    """Schedules one attempt's status check in the database, then wakes the local runner."""

    queue: ReconciliationQueue
    alarm: CheckAlarm
    clock: Clock

    async def request(self, attempt_id: str, *, min_interval: timedelta) -> datetime | None:
        """The committed due time of the check, or None when no runner would ever make it
        (the attempt is settled, unknown, or awaits a human review)."""
        due = await self.queue.request_check(
            attempt_id, now=self.clock.now(), min_interval=min_interval
        )
        if due is not None:
            self.alarm.wake_at(due)
        return due
