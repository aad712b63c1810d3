"""The reconciliation job: resolve attempts whose outcome is unknown, catch lost callbacks,
and expire attempts the gateway confirms were not paid.

One pass claims due attempts in small batches (a short transaction that leases them to this
runner), asks the gateway about each one through the AttemptReconciler (outside any
transaction, within the shared one-check-per-30-s budget of each attempt), then records what
comes next in another short transaction: the next slot of the schedule, nothing more, or a
human review. Several runners (threads, processes, machines) on one database share the work:
each due attempt is leased to one of them, so it is checked once per slot.
"""

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from application.callers import Caller, require_staff
from application.errors import GatewayError, GatewayRejected, NotFound, StatusCheckDeferred
from application.gateway import GatewayPaymentState
from application.inbox import InboxFilter, Verification
from application.ports import Clock, ReconciliationQueue
from application.reconciliation import AttemptOutcome, AttemptReconciler, Reconciled
from application.reconciliation_schedule import (
    CHECK_SCHEDULE,
    DEFAULT_CREATING_GRACE,
    MAX_REJECTED_CHECKS,
    ReviewItem,
    ReviewReason,
    ScheduledCheck,
    next_scheduled_check,
)
from domain.events import PaymentFlaggedForReview
from domain.payments import PaymentStatus

DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_ERROR_RETRY = timedelta(minutes=5)
_WATCHED = frozenset({PaymentStatus.PENDING, PaymentStatus.CANCELLED})
# What the gateway says when it denies that an attempt was paid.
_DENIALS = {
    GatewayPaymentState.FAILED: "reports it failed or expired unpaid",
    GatewayPaymentState.NOT_FOUND: "has no such transaction",
}
# Inbox outcomes of a signed success that waits for a status check to confirm it.
_AWAITING_CONFIRMATION = frozenset({AttemptOutcome.SCHEDULED.value, AttemptOutcome.DEFERRED.value})


def new_runner_id() -> str:
    """A lease owner for one runner; unique across processes and machines."""
    return f"runner-{secrets.token_hex(8)}"


@dataclass(slots=True)
class ReconciliationReport:
    """What one pass did, per attempt."""

    owner: str
    outcomes: dict[str, str] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    flagged_for_review: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return len(self.outcomes) + len(self.deferred) + len(self.errors)

    def summary(self) -> dict[str, Any]:
        """Counts for logs and the `kasir reconcile` output; no personal data."""
        return {
            "owner": self.owner,
            "checked": len(self.outcomes),
            "outcomes": dict(sorted(Counter(self.outcomes.values()).items())),
            "deferred": len(self.deferred),
            "errors": dict(sorted(Counter(self.errors.values()).items())),
            "flagged_for_review": len(self.flagged_for_review),
        }


@dataclass(frozen=True, slots=True)
class RunReconciliation:
    """One reconciliation pass (see the module docstring).

    `creating_grace` exceeds the create call's whole timeout (the container derives it from
    the gateway's, `reconciliation_schedule.creating_grace`), so an attempt whose create call
    is still running is never mistaken for a lost one. `lease` bounds how long a
    runner that died keeps its claimed attempts; a batch of `batch_size` checks fits in it
    with room to spare. `max_checks` bounds one pass.
    """

    queue: ReconciliationQueue
    reconciler: AttemptReconciler
    clock: Clock
    creating_grace: timedelta = DEFAULT_CREATING_GRACE
    schedule: tuple[timedelta, ...] = CHECK_SCHEDULE
    lease: timedelta = DEFAULT_LEASE
    error_retry: timedelta = DEFAULT_ERROR_RETRY
    batch_size: int = 5
    max_checks: int = 100

    async def execute(self, *, owner: str | None = None) -> ReconciliationReport:
        report = ReconciliationReport(owner or new_runner_id())
        while report.claimed < self.max_checks:
            now = self.clock.now()
            batch = await self.queue.claim_due(
                owner=report.owner,
                now=now,
                lease_until=now + self.lease,
                creating_before=now - self.creating_grace,
                expired_before=now - self.schedule[0],
                limit=min(self.batch_size, self.max_checks - report.claimed),
            )
            if not batch:
                break
            for item in batch:
                await self._check(item, report)
        return report

    async def next_due_at(self) -> datetime | None:
        """When the earliest scheduled check falls due (at or before now: due now), or None;
        a runner sleeps until then, at most its interval (entrypoints.background)."""
        now = self.clock.now()
        return await self.queue.next_due_at(now=now, creating_before=now - self.creating_grace)

    async def _check(self, item: ScheduledCheck, report: ReconciliationReport) -> None:
        uid = item.attempt_id
        try:
            result = await self.reconciler.check(
                uid, abandon_if_pending=item.status is PaymentStatus.CREATING
            )
        except StatusCheckDeferred as deferred:
            # Checked moments ago by a callback or a customer's request: this slot is not
            # used up, it moves to when the budget allows another call.
            report.deferred.append(uid)
            retry_at = self.clock.now() + timedelta(seconds=deferred.retry_after)
            await self._record(item, report, next_check_at=retry_at, counted=False)
            return
        except GatewayRejected as error:
            # A refusal that retrying will not cure (a wrong key, an answer kasir cannot read):
            # a few in a row hand the attempt to staff instead of retrying forever.
            report.errors[uid] = error.code
            rejected = item.rejected_checks + 1
            if rejected < MAX_REJECTED_CHECKS:
                retry_at = self.clock.now() + self.error_retry
                await self._record(item, report, next_check_at=retry_at, rejected=True)
                return
            reason = (
                f"the gateway refused {rejected} status checks in a row "
                f"({error.code}: {error.detail or error.message})"
            )
            await self._record(
                item,
                report,
                next_check_at=None,
                rejected=True,
                flag=(ReviewReason.STATUS_CHECK_REJECTED, reason),
            )
            return
        except GatewayError as error:
            report.errors[uid] = error.code
            retry_at = self.clock.now() + self.error_retry
            await self._record(item, report, next_check_at=retry_at, counted=False)
            return
        except NotFound:
            report.errors[uid] = NotFound.code
            await self._record(item, report, next_check_at=None, counted=False)
            return
        report.outcomes[uid] = result.outcome.value
        if result.outcome is AttemptOutcome.AMOUNT_MISMATCH:
            report.flagged_for_review.append(uid)  # flagged with the change it made
        next_check_at, flag = self._next_step(item, result)
        if flag is None and await self._denies_a_signed_success(item, result):
            # A correctly signed success was answered "scheduled" and the gateway now says
            # the money never came: Duitku is inconsistent or the API key has leaked. Staff
            # see both facts; the schedule goes on from the flag, so a later paid status
            # still settles it.
            next_check_at = next_scheduled_check(self.clock.now(), self.clock.now(), self.schedule)
            flag = (
                ReviewReason.SUCCESS_CONTRADICTED,
                "a correctly signed notification said this attempt was paid, but the gateway "
                + _DENIALS[result.gateway.state],
            )
        await self._record(item, report, next_check_at=next_check_at, counted=True, flag=flag)

    async def _denies_a_signed_success(self, item: ScheduledCheck, result: Reconciled) -> bool:
        """Whether the gateway now denies a signed success that was kept for this check."""
        if item.flagged_at is not None or result.gateway.state not in _DENIALS:
            return False
        if result.payment.status is PaymentStatus.SUCCEEDED:
            return False
        where = InboxFilter(
            attempt_id=item.attempt_id, verification=Verification.VERIFIED, limit=500
        )
        async with self.reconciler.uow(read_only=True) as uow:
            entries = await uow.inbox.list(where)
        return any(entry.outcome in _AWAITING_CONFIRMATION for entry in entries)

    def _next_step(
        self, item: ScheduledCheck, result: Reconciled
    ) -> tuple[datetime | None, tuple[ReviewReason, str] | None]:
        """When to ask again (None: never), and why a human must look instead, if so."""
        payment = result.payment
        now = self.clock.now()
        if result.outcome is AttemptOutcome.AMOUNT_UNKNOWN:
            return None, (
                ReviewReason.AMOUNT_UNKNOWN,
                f"the gateway reports it paid without an amount (attempt of {payment.amount})",
            )
        settled = payment.status is PaymentStatus.SUCCEEDED or payment.closed_reason is not None
        if settled:
            return None, None
        if item.flagged_at is not None:
            # Flagged for staff (a success the gateway contradicted): keep asking on the
            # schedule counted from the flag, so a later paid status still settles it.
            return next_scheduled_check(item.flagged_at, now, self.schedule), None
        still_open_at_gateway = result.gateway.state is GatewayPaymentState.PENDING
        if not still_open_at_gateway or payment.status not in _WATCHED:
            return None, None  # settled: failed, expired, abandoned, closed at the gateway
        if payment.expires_at is None:
            return None, None
        slot = next_scheduled_check(payment.expires_at, now, self.schedule)
        if slot is None:
            last = self.schedule[-1]
            return None, (
                ReviewReason.STILL_OPEN,
                f"the gateway still holds it open {_duration(last)} after its expiry",
            )
        return slot, None

    async def _record(
        self,
        item: ScheduledCheck,
        report: ReconciliationReport,
        *,
        next_check_at: datetime | None,
        counted: bool = False,
        rejected: bool = False,
        flag: tuple[ReviewReason, str] | None = None,
    ) -> None:
        recorded = await self.queue.record(
            item.attempt_id,
            owner=report.owner,
            next_check_at=next_check_at,
            counted=counted,
            review_reason=flag[1] if flag else None,
            now=self.clock.now(),
            claimed_at=item.claimed_at,
            rejected=rejected,
        )
        if flag is not None and recorded:
            report.flagged_for_review.append(item.attempt_id)
            await self.reconciler.publish(
                [PaymentFlaggedForReview(item.attempt_id, flag[0].value, flag[1])]
            )


@dataclass(frozen=True, slots=True)
class ListPaymentsNeedingReview:
    """Attempts handed to a human (by the job, a contradicted notification, an amount
    mismatch) whose review is still open, newest flag first (staff)."""

    queue: ReconciliationQueue

    async def execute(self, *, caller: Caller, limit: int = 100) -> list[ReviewItem]:
        require_staff(caller)
        return await self.queue.list_needing_review(limit=limit)


def _duration(delta: timedelta) -> str:
    hours, seconds = divmod(int(delta.total_seconds()), 3600)
    if hours and not seconds:
        return f"{hours} h"
    return f"{int(delta.total_seconds()) // 60} min"
