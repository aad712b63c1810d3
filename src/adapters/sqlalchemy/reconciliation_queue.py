"""The reconciliation job's work list, kept in the payments table's lease columns
(application.ports.ReconciliationQueue).

A claim is one `UPDATE payments SET lease_owner, lease_until WHERE id IN (SELECT id ... due
... LIMIT n FOR UPDATE SKIP LOCKED) RETURNING ...` in a short transaction of its own: on
PostgreSQL, rows another runner is claiming are skipped rather than waited for, and a row
claimed and committed meanwhile is re-checked against the due condition and left out. On
SQLite the write transaction is BEGIN IMMEDIATE, which serializes the claims. The lease
columns are never read or written by the payment repository (which writes only the review
columns and `next_check_at`, when it flags or resolves a review inside a use case's
transaction), and these statements never change a payment's version or status, so they never
make a use case's update fail.

`next_check_at` is also where a status check that kasir schedules itself is kept (a signed
success it could not confirm yet, `request_check`): the job claims it like any slot, and a
runner recording its own check never moves a request made after its claim to later.
"""

import builtins
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, and_, bindparam, case, func, or_, select, update
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import BindParameter

from adapters.sqlalchemy import mappers
from adapters.sqlalchemy.repositories import SqlAlchemyRepository
from adapters.sqlalchemy.tables import payments
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.reconciliation_schedule import ReviewItem, ScheduledCheck
from domain.payments import PaymentMethod, PaymentStatus

_WATCHED = sorted(s.value for s in (PaymentStatus.PENDING, PaymentStatus.CANCELLED))
_RECHECKED = sorted(
    s.value for s in PaymentStatus if s not in (PaymentStatus.CREATING, PaymentStatus.SUCCEEDED)
)
_NOW: BindParameter[datetime] = bindparam("now")
_SCHEDULED = payments.c.next_check_at <= _NOW
# An open review stops the schedule, unless a next check was set with the flag.
_REVIEW_OPEN = and_(
    payments.c.review_required_at.is_not(None), payments.c.review_resolved_at.is_(None)
)

_DUE = and_(
    payments.c.method == PaymentMethod.QRIS.value,
    or_(~_REVIEW_OPEN, _SCHEDULED),
    or_(payments.c.lease_until.is_(None), payments.c.lease_until <= _NOW),
    or_(
        and_(
            payments.c.status == PaymentStatus.CREATING.value,
            payments.c.created_at < bindparam("creating_before"),
            or_(payments.c.next_check_at.is_(None), _SCHEDULED),
        ),
        and_(
            payments.c.status.in_(_WATCHED),
            payments.c.expires_at.is_not(None),
            payments.c.next_check_at.is_(None),
            payments.c.check_count == 0,
            payments.c.expires_at <= bindparam("expired_before"),
        ),
        and_(payments.c.status.in_(_RECHECKED), _SCHEDULED),
    ),
)
_CLAIMED = (
    payments.c.id,
    payments.c.order_uid,
    payments.c.status,
    payments.c.created_at,
    payments.c.expires_at,
    payments.c.check_count,
    payments.c.review_required_at,
    payments.c.review_resolved_at,
    payments.c.rejected_check_count,
)
_REVIEW = [payments.c[name] for name in mappers.PAYMENT_COLUMNS] + [
    payments.c.review_required_at,
    payments.c.review_reason,
    payments.c.check_count,
]
_SELECT_FOR_REVIEW = (
    select(*_REVIEW)
    .where(_REVIEW_OPEN, payments.c.status != PaymentStatus.SUCCEEDED.value)
    .order_by(payments.c.review_required_at.desc(), payments.c.id.desc())
)
# Attempts a check may be requested for (`request_check`): the job claims them once their
# `next_check_at` has come (see _DUE); `creating` ones only once past the grace period.
_SCHEDULABLE = and_(
    payments.c.method == PaymentMethod.QRIS.value,
    ~_REVIEW_OPEN,
    or_(
        payments.c.status == PaymentStatus.CREATING.value,
        and_(payments.c.status.in_(_WATCHED), payments.c.expires_at.is_not(None)),
    ),
)
_SELECT_TO_SCHEDULE = (
    select(payments.c.id, payments.c.status_checked_at)
    .where(payments.c.order_uid == bindparam("key_uid"), _SCHEDULABLE)
    .with_for_update()
)
_SCHEDULE = (
    update(payments)
    .where(payments.c.id == bindparam("key_id"))
    .values(next_check_at=bindparam("due", type_=payments.c.next_check_at.type))
)
# Every check the job will claim when its `next_check_at` comes (the scheduled branches of
# _DUE: requested checks, slots, flagged attempts kept on the schedule).
_NEXT_DUE = select(func.min(payments.c.next_check_at)).where(
    payments.c.method == PaymentMethod.QRIS.value,
    payments.c.status != PaymentStatus.SUCCEEDED.value,
    payments.c.next_check_at.is_not(None),
    or_(payments.c.lease_until.is_(None), payments.c.lease_until <= _NOW),
    or_(
        payments.c.status != PaymentStatus.CREATING.value,
        payments.c.created_at < bindparam("creating_before"),
    ),
)
_HELD = and_(
    payments.c.order_uid == bindparam("key_uid"), payments.c.lease_owner == bindparam("owner")
)


def _claim(limit: int) -> Executable:
    candidates = (
        select(payments.c.id)
        .where(_DUE)
        .order_by(payments.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(payments)
        .where(payments.c.id.in_(candidates.scalar_subquery()))
        .values(lease_owner=bindparam("owner"), lease_until=bindparam("lease_until"))
        .returning(*_CLAIMED)
    )


class _Statements(SqlAlchemyRepository):
    """Runs this module's statements in a unit of work's session, with its error handling."""

    async def write(self, statement: Executable, params: dict[str, Any]) -> Result[Any]:
        return await self._write(statement, params, "reconciliation queue")

    async def read(self, statement: Executable, params: dict[str, Any]) -> Result[Any]:
        return await self._run(statement, params)


class SqlAlchemyReconciliationQueue:
    """Claims, reschedules and lists attempts for the reconciliation job."""

    def __init__(self, uow: SqlAlchemyUnitOfWorkFactory) -> None:
        self._uow = uow

    async def claim_due(
        self,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
        creating_before: datetime,
        expired_before: datetime,
        limit: int,
    ) -> builtins.list[ScheduledCheck]:
        if limit <= 0:
            return []
        params = {
            "owner": owner,
            "now": now,
            "lease_until": lease_until,
            "creating_before": creating_before,
            "expired_before": expired_before,
        }
        async with self._uow() as uow:
            rows = (await _Statements(uow.session).write(_claim(limit), params)).all()
            await uow.commit()
        return [
            ScheduledCheck(
                attempt_id=row.order_uid,
                status=PaymentStatus(row.status),
                created_at=row.created_at,
                expires_at=row.expires_at,
                check_count=row.check_count,
                claimed_at=now,
                flagged_at=row.review_required_at if row.review_resolved_at is None else None,
                rejected_checks=row.rejected_check_count,
            )
            for row in sorted(rows, key=lambda row: int(row.id))
        ]

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
        stored = payments.c.next_check_at
        # A check requested after the claim (stored later than it) stays, unless this one is
        # sooner: the runner's own result must not postpone it.
        requested = stored > bindparam("claimed_at", type_=stored.type)
        if next_check_at is not None:
            requested = and_(requested, stored < bindparam("next", type_=stored.type))
        values: dict[str, Any] = {
            "lease_owner": None,
            "lease_until": None,
            "next_check_at": case((requested, stored), else_=bindparam("next", type_=stored.type)),
            "check_count": payments.c.check_count + (1 if counted else 0),
        }
        if rejected:
            values["rejected_check_count"] = payments.c.rejected_check_count + 1
        elif counted:
            values["rejected_check_count"] = 0
        if review_reason is not None:
            values |= {
                "review_required_at": now,
                "review_reason": review_reason,
                "review_resolved_at": None,
                "review_resolved_by": None,
                "review_note": None,
            }
        statement = update(payments).where(_HELD).values(**values)
        async with self._uow() as uow:
            result = await _Statements(uow.session).write(
                statement,
                {
                    "key_uid": attempt_id,
                    "owner": owner,
                    "claimed_at": claimed_at,
                    "next": next_check_at,
                },
            )
            await uow.commit()
        return cast(CursorResult[Any], result).rowcount == 1

    async def request_check(
        self, attempt_id: str, *, now: datetime, min_interval: timedelta
    ) -> datetime | None:
        async with self._uow() as uow:
            statements = _Statements(uow.session)
            row = (
                await statements.read(_SELECT_TO_SCHEDULE, {"key_uid": attempt_id})
            ).one_or_none()
            if row is None:
                return None
            last = row.status_checked_at
            due = now if last is None else max(now, last + min_interval)
            await statements.write(_SCHEDULE, {"key_id": row.id, "due": due})
            await uow.commit()
        return due

    async def next_due_at(self, *, now: datetime, creating_before: datetime) -> datetime | None:
        params = {"now": now, "creating_before": creating_before}
        async with self._uow(read_only=True) as uow:
            earliest = (await _Statements(uow.session).read(_NEXT_DUE, params)).scalar_one()
        return cast(datetime | None, earliest)

    async def list_needing_review(self, *, limit: int = 100) -> builtins.list[ReviewItem]:
        async with self._uow(read_only=True) as uow:
            rows = (await _Statements(uow.session).read(_SELECT_FOR_REVIEW.limit(limit), {})).all()
        return [
            ReviewItem(
                payment=mappers.payment_from_row(row._mapping),
                review_required_at=row.review_required_at,
                review_reason=row.review_reason or "",
                check_count=row.check_count,
            )
            for row in rows
        ]
