"""The reconciliation job's work list over an InMemoryStore (application.ports.
ReconciliationQueue), with the SQL queue's rules.

The bookkeeping (lease, next check, counts, review) lives in the store beside its committed
payments, as the lease columns live beside the domain columns in SQL; the payment repository
writes its review and schedule fields in a transaction, this queue the rest at once. Every
method runs without awaiting, so on one event loop each call is atomic, as a short
transaction is.
"""

from datetime import datetime, timedelta

from adapters.in_memory.copies import detached
from adapters.in_memory.store import Bookkeeping, InMemoryStore
from application.reconciliation_schedule import ReviewItem, ScheduledCheck
from domain.payments import Payment, PaymentMethod, PaymentStatus

_WATCHED = frozenset({PaymentStatus.PENDING, PaymentStatus.CANCELLED})
_RECHECKED = frozenset(PaymentStatus) - {PaymentStatus.CREATING, PaymentStatus.SUCCEEDED}


class InMemoryReconciliationQueue:
    """Claims, reschedules and lists attempts of one in-memory store."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    @property
    def bookkeeping(self) -> dict[str, Bookkeeping]:
        return self._store.bookkeeping

    def _of(self, attempt_id: str) -> Bookkeeping:
        return self.bookkeeping.setdefault(attempt_id, Bookkeeping())

    async def claim_due(
        self,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
        creating_before: datetime,
        expired_before: datetime,
        limit: int,
    ) -> list[ScheduledCheck]:
        due = [
            payment
            for payment in self._store.payments.values()
            if _is_due(payment, self._of(payment.attempt_id), now, creating_before, expired_before)
        ]
        due.sort(key=lambda payment: (payment.created_at, payment.attempt_id))
        claimed: list[ScheduledCheck] = []
        for payment in due[: max(0, limit)]:
            entry = self._of(payment.attempt_id)
            entry.lease_owner, entry.lease_until = owner, lease_until
            claimed.append(
                ScheduledCheck(
                    attempt_id=payment.attempt_id,
                    status=payment.status,
                    created_at=payment.created_at,
                    expires_at=payment.expires_at,
                    check_count=entry.check_count,
                    claimed_at=now,
                    flagged_at=entry.review_required_at if entry.review_open else None,
                    rejected_checks=entry.rejected_check_count,
                )
            )
        return claimed

    async def record(
        self,
        attempt_id: str,
        *,
        owner: str,
        next_check_at: datetime | None,
        counted: bool,
        review_reason: str | None,
        now: datetime,
        claimed_at: datetime,
        rejected: bool = False,
    ) -> bool:
        entry = self.bookkeeping.get(attempt_id)
        if entry is None or entry.lease_owner != owner:
            return False
        entry.lease_owner = entry.lease_until = None
        stored = entry.next_check_at
        requested = stored is not None and stored > claimed_at
        if not requested or (next_check_at is not None and stored and next_check_at <= stored):
            entry.next_check_at = next_check_at
        entry.check_count += 1 if counted else 0
        if rejected:
            entry.rejected_check_count += 1
        elif counted:
            entry.rejected_check_count = 0
        if review_reason is not None:
            entry.review_required_at, entry.review_reason = now, review_reason
            entry.review_resolved_at = entry.review_resolved_by = entry.review_note = None
        return True

    async def request_check(
        self, attempt_id: str, *, now: datetime, min_interval: timedelta
    ) -> datetime | None:
        payment = self._store.payments.get(attempt_id)
        if payment is None or not _is_schedulable(payment, self._of(attempt_id)):
            return None
        entry = self._of(attempt_id)
        last = self._store.status_checked_at.get(attempt_id)
        due = now if last is None else max(now, last + min_interval)
        entry.next_check_at = due
        return due

    async def next_due_at(self, *, now: datetime, creating_before: datetime) -> datetime | None:
        times = [
            entry.next_check_at
            for payment in self._store.payments.values()
            if (entry := self.bookkeeping.get(payment.attempt_id)) is not None
            and entry.next_check_at is not None
            and payment.method is PaymentMethod.QRIS
            and payment.status is not PaymentStatus.SUCCEEDED
            and (entry.lease_until is None or entry.lease_until <= now)
            and (
                payment.status is not PaymentStatus.CREATING or payment.created_at < creating_before
            )
        ]
        return min(times, default=None)

    async def list_needing_review(self, *, limit: int = 100) -> list[ReviewItem]:
        items = [
            ReviewItem(
                payment=detached(payment),
                review_required_at=entry.review_required_at,
                review_reason=entry.review_reason or "",
                check_count=entry.check_count,
            )
            for payment in self._store.payments.values()
            if (entry := self.bookkeeping.get(payment.attempt_id)) is not None
            and entry.review_required_at is not None
            and entry.review_resolved_at is None
            and payment.status is not PaymentStatus.SUCCEEDED
        ]
        items.sort(key=lambda item: item.review_required_at, reverse=True)
        return items[:limit]


def _is_schedulable(payment: Payment, entry: Bookkeeping) -> bool:
    """Whether a check may be requested for this attempt (the job claims it once its
    `next_check_at` has come)."""
    if payment.method is not PaymentMethod.QRIS or entry.review_open:
        return False
    if payment.status is PaymentStatus.CREATING:
        return True
    return payment.status in _WATCHED and payment.expires_at is not None


def _is_due(
    payment: Payment,
    entry: Bookkeeping,
    now: datetime,
    creating_before: datetime,
    expired_before: datetime,
) -> bool:
    scheduled = entry.next_check_at is not None and entry.next_check_at <= now
    if payment.method is not PaymentMethod.QRIS or (entry.review_open and not scheduled):
        return False
    if entry.lease_until is not None and entry.lease_until > now:
        return False
    if payment.status is PaymentStatus.CREATING:
        return payment.created_at < creating_before and (entry.next_check_at is None or scheduled)
    if payment.status in _RECHECKED and scheduled:
        return True
    never_checked = entry.next_check_at is None and entry.check_count == 0
    return (
        payment.status in _WATCHED
        and payment.expires_at is not None
        and never_checked
        and payment.expires_at <= expired_before
    )
