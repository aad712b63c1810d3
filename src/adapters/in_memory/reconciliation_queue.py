"""The reconciliation job's work list over an InMemoryStore (application.ports.
ReconciliationQueue), with the SQL queue's rules.

The bookkeeping (lease, next check, count, review) lives beside the store's committed
payments, as the lease columns live beside the domain columns in SQL. Every method runs
without awaiting, so on one event loop each call is atomic, as a short transaction is.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.in_memory.copies import detached
from adapters.in_memory.store import InMemoryStore
from application.reconciliation_schedule import ReviewItem, ScheduledCheck
from domain.payments import Payment, PaymentMethod, PaymentStatus

_WATCHED = frozenset({PaymentStatus.PENDING, PaymentStatus.CANCELLED})
_UNSETTLED = _WATCHED | {PaymentStatus.CREATING}


@dataclass(slots=True)
class Bookkeeping:
    """The lease columns of one attempt."""

    lease_owner: str | None = None
    lease_until: datetime | None = None
    next_check_at: datetime | None = None
    check_count: int = 0
    review_required_at: datetime | None = None
    review_reason: str | None = None


class InMemoryReconciliationQueue:
    """Claims, reschedules and lists attempts of one in-memory store."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.bookkeeping: dict[str, Bookkeeping] = {}

    def _of(self, order_uid: str) -> Bookkeeping:
        return self.bookkeeping.setdefault(order_uid, Bookkeeping())

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
            if _is_due(payment, self._of(payment.order_uid), now, creating_before, expired_before)
        ]
        due.sort(key=lambda payment: (payment.created_at, payment.order_uid))
        claimed: list[ScheduledCheck] = []
        for payment in due[: max(0, limit)]:
            entry = self._of(payment.order_uid)
            entry.lease_owner, entry.lease_until = owner, lease_until
            claimed.append(
                ScheduledCheck(
                    order_uid=payment.order_uid,
                    status=payment.status,
                    created_at=payment.created_at,
                    expires_at=payment.expires_at,
                    check_count=entry.check_count,
                    claimed_at=now,
                )
            )
        return claimed

    async def record(
        self,
        order_uid: str,
        *,
        owner: str,
        next_check_at: datetime | None,
        counted: bool,
        review_reason: str | None,
        now: datetime,
        claimed_at: datetime,
    ) -> bool:
        entry = self.bookkeeping.get(order_uid)
        if entry is None or entry.lease_owner != owner:
            return False
        entry.lease_owner = entry.lease_until = None
        stored = entry.next_check_at
        requested = stored is not None and stored > claimed_at
        if not requested or (next_check_at is not None and stored and next_check_at <= stored):
            entry.next_check_at = next_check_at
        entry.check_count += 1 if counted else 0
        if review_reason is not None:
            entry.review_required_at, entry.review_reason = now, review_reason
        return True

    async def request_check(
        self, order_uid: str, *, now: datetime, min_interval: timedelta
    ) -> datetime | None:
        payment = self._store.payments.get(order_uid)
        if payment is None or not _is_schedulable(payment, self._of(order_uid)):
            return None
        entry = self._of(order_uid)
        last = self._store.status_checked_at.get(order_uid)
        due = now if last is None else max(now, last + min_interval)
        entry.next_check_at = due
        return due

    async def next_due_at(self, *, now: datetime, creating_before: datetime) -> datetime | None:
        times = [
            entry.next_check_at
            for payment in self._store.payments.values()
            if (entry := self.bookkeeping.get(payment.order_uid)) is not None
            and entry.next_check_at is not None
            and _is_schedulable(payment, entry)
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
            if (entry := self.bookkeeping.get(payment.order_uid)) is not None
            and entry.review_required_at is not None
            and payment.status in _UNSETTLED
        ]
        items.sort(key=lambda item: item.review_required_at, reverse=True)
        return items[:limit]


def _is_schedulable(payment: Payment, entry: Bookkeeping) -> bool:
    """Whether the job claims this attempt once its `next_check_at` has come."""
    if payment.method is not PaymentMethod.QRIS or entry.review_required_at is not None:
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
    if payment.method is not PaymentMethod.QRIS or entry.review_required_at is not None:
        return False
    if entry.lease_until is not None and entry.lease_until > now:
        return False
    scheduled = entry.next_check_at is not None and entry.next_check_at <= now
    if payment.status is PaymentStatus.CREATING:
        return payment.created_at < creating_before and (entry.next_check_at is None or scheduled)
    if payment.status not in _WATCHED or payment.expires_at is None:
        return False
    never_checked = entry.next_check_at is None and entry.check_count == 0
    return scheduled or (never_checked and payment.expires_at <= expired_before)
