"""Webhook subscriptions and the delivery queue (application.webhooks.WebhookStore).

A claim is one `UPDATE webhook_deliveries SET lease_owner, lease_until WHERE id IN (SELECT
... LIMIT n FOR UPDATE SKIP LOCKED) RETURNING ...` in a short transaction of its own, as the
reconciliation queue does: several dispatchers on one PostgreSQL skip each other's rows and
each delivery is leased to one of them; on SQLite, BEGIN IMMEDIATE serializes the claims. A
delivery is due only when no earlier event of the same order is still pending for the same
subscription, so one order's events go out one at a time, in order; other orders' events
do not wait. A dispatcher records the result only while it still holds the lease.
"""

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Result,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from adapters.sqlalchemy.outbox import event_from_row
from adapters.sqlalchemy.repositories import SqlAlchemyRepository
from adapters.sqlalchemy.tables_events import (
    outbox_events,
    webhook_deliveries,
    webhook_subscriptions,
)
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.webhooks import (
    Attempt,
    ClaimedDelivery,
    Delivery,
    DeliveryQuery,
    DeliveryStatus,
    NewSubscription,
    Subscription,
    SubscriptionStatus,
)
from domain.audit import AuditRecord

_D = webhook_deliveries
_S = webhook_subscriptions
_E = outbox_events
_PENDING = DeliveryStatus.PENDING.value
_ACTIVE = SubscriptionStatus.ACTIVE.value

_earlier = _D.alias("earlier")
_HELD_BACK = exists().where(
    _earlier.c.subscription_id == _D.c.subscription_id,
    _earlier.c.order_id == _D.c.order_id,
    _earlier.c.status == _PENDING,
    _earlier.c.seq < _D.c.seq,
)
_DUE = and_(
    _D.c.subscription_id == bindparam("for_subscription"),
    _D.c.status == _PENDING,
    _D.c.next_attempt_at <= bindparam("now"),
    or_(_D.c.lease_until.is_(None), _D.c.lease_until <= bindparam("now")),
    ~_HELD_BACK,
)
_DELIVERY_COLUMNS = (
    _D.c.id,
    _D.c.subscription_id,
    _D.c.order_id,
    _D.c.seq,
    _D.c.status,
    _D.c.attempts,
    _D.c.next_attempt_at,
    _D.c.created_at,
    _D.c.first_failed_at,
    _D.c.last_attempt_at,
    _D.c.last_status_code,
    _D.c.last_error,
    _D.c.delivered_at,
    _D.c.event_position,
)
_SUBSCRIPTION_COLUMNS = (
    _S.c.id,
    _S.c.url,
    _S.c.event_types,
    _S.c.status,
    _S.c.created_at,
    _S.c.created_by,
    _S.c.paused_reason,
    _S.c.paused_at,
    _S.c.from_setting,
)
_EVENT_COLUMNS = (
    _E.c.position,
    _E.c.event_id,
    _E.c.order_id,
    _E.c.seq,
    _E.c.type,
    _E.c.payload,
    _E.c.occurred_at,
)
_SELECT_DELIVERIES = select(*_DELIVERY_COLUMNS, _E.c.event_id, _E.c.type).join(
    _E, _E.c.position == _D.c.event_position
)
# What `claim` would take, but for the due time: a delivery held back behind an earlier
# event of its order is not counted (else a dispatcher would wake again and again while that
# earlier event waits out its back-off).
_NEXT_DUE = (
    select(func.min(_D.c.next_attempt_at))
    .join(_S, _S.c.id == _D.c.subscription_id)
    .where(
        _D.c.status == _PENDING,
        _S.c.status == _ACTIVE,
        or_(_D.c.lease_until.is_(None), _D.c.lease_until <= bindparam("now")),
        ~_HELD_BACK,
    )
)
_RESET = {
    "status": _PENDING,
    "attempts": 0,
    "first_failed_at": None,
    "lease_owner": None,
    "lease_until": None,
}


def _claim(limit: int) -> Executable:
    candidates = (
        select(_D.c.id)
        .where(_DUE)
        .order_by(_D.c.next_attempt_at, _D.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(_D)
        .where(_D.c.id.in_(candidates.scalar_subquery()))
        .values(lease_owner=bindparam("owner"), lease_until=bindparam("lease_until"))
        .returning(_D.c.id)
    )


class _Statements(SqlAlchemyRepository):
    async def write(
        self, statement: Executable, params: dict[str, Any] | builtins.list[dict[str, Any]]
    ) -> Result[Any]:
        return await self._write(statement, params, "webhook store")

    async def read(
        self, statement: Executable, params: dict[str, Any] | None = None
    ) -> Result[Any]:
        return await self._run(statement, params or {})


class SqlAlchemyWebhookStore:
    """Subscriptions and deliveries; every method is one short transaction."""

    def __init__(self, uow: SqlAlchemyUnitOfWorkFactory) -> None:
        self._uow = uow

    async def add_subscription(self, new: NewSubscription, *, audit: AuditRecord) -> None:
        async with self._uow() as uow:
            await _Statements(uow.session).write(insert(_S), _subscription_values(new))
            await uow.audit.append(audit)
            await uow.commit()

    async def get_subscription(self, subscription_id: str) -> Subscription | None:
        async with self._uow(read_only=True) as uow:
            row = (
                await _Statements(uow.session).read(
                    select(*_SUBSCRIPTION_COLUMNS).where(_S.c.id == subscription_id)
                )
            ).one_or_none()
        return None if row is None else _subscription(row)

    async def list_subscriptions(self) -> builtins.list[Subscription]:
        async with self._uow(read_only=True) as uow:
            rows = (
                await _Statements(uow.session).read(
                    select(*_SUBSCRIPTION_COLUMNS).order_by(_S.c.created_at, _S.c.id)
                )
            ).all()
        return [_subscription(row) for row in rows]

    async def set_status(
        self,
        subscription_id: str,
        status: SubscriptionStatus,
        *,
        reason: str | None,
        now: datetime,
        audit: AuditRecord | None = None,
    ) -> Subscription | None:
        paused = status is SubscriptionStatus.PAUSED
        async with self._uow() as uow:
            statements = _Statements(uow.session)
            await statements.write(
                update(_S)
                .where(_S.c.id == subscription_id)
                .values(
                    status=status.value,
                    paused_reason=reason if paused else None,
                    paused_at=now if paused else None,
                ),
                {},
            )
            row = (
                await statements.read(
                    select(*_SUBSCRIPTION_COLUMNS).where(_S.c.id == subscription_id)
                )
            ).one_or_none()
            if row is not None and audit is not None:
                await uow.audit.append(audit)
            await uow.commit()
        return None if row is None else _subscription(row)

    async def upsert_setting_subscription(
        self, new: NewSubscription, *, seal: Callable[[str], bytes]
    ) -> Subscription:
        # The setting's subscriber has one fixed id (SETTING_SUBSCRIPTION_ID), so workers
        # starting together insert it once (ON CONFLICT DO NOTHING) and then update it.
        subscription_id = new.subscription.id
        dialect = postgresql if self._uow.engine.dialect.name == "postgresql" else sqlite
        async with self._uow() as uow:
            statements = _Statements(uow.session)
            await statements.write(
                dialect.insert(_S)
                .values(**_subscription_values(new))
                .on_conflict_do_nothing(index_elements=[_S.c.id]),
                {},
            )
            await statements.write(
                update(_S)
                .where(_S.c.id == subscription_id)
                .values(
                    url=new.subscription.url,
                    event_types=list(new.subscription.event_types),
                    secret_sealed=seal(subscription_id),
                ),
                {},
            )
            stored = (
                await statements.read(
                    select(*_SUBSCRIPTION_COLUMNS).where(_S.c.id == subscription_id)
                )
            ).one()
            await uow.commit()
        return _subscription(stored)

    async def claim(
        self,
        subscription_id: str,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
    ) -> builtins.list[ClaimedDelivery]:
        if limit <= 0:
            return []
        params = {
            "for_subscription": subscription_id,
            "owner": owner,
            "now": now,
            "lease_until": lease_until,
        }
        async with self._uow() as uow:
            statements = _Statements(uow.session)
            active = (
                await statements.read(
                    select(_S.c.url, _S.c.secret_sealed).where(
                        _S.c.id == subscription_id, _S.c.status == _ACTIVE
                    )
                )
            ).one_or_none()
            if active is None:
                return []
            ids = [row.id for row in (await statements.write(_claim(limit), params)).all()]
            rows = (
                await statements.read(
                    select(*_DELIVERY_COLUMNS, *_EVENT_COLUMNS)
                    .join(_E, _E.c.position == _D.c.event_position)
                    .where(_D.c.id.in_(ids))
                    .order_by(_D.c.next_attempt_at, _D.c.id)
                )
            ).all()
            await uow.commit()
        return [
            ClaimedDelivery(
                delivery=_delivery(row, event_id=row.event_id, event_type=row.type),
                event=event_from_row(row),
                url=active.url,
                secret_sealed=active.secret_sealed,
            )
            for row in rows
        ]

    async def record(
        self,
        delivery_id: int,
        *,
        owner: str,
        attempt: Attempt,
        now: datetime,
        next_attempt_at: datetime | None,
        give_up: bool,
    ) -> bool:
        values: dict[str, Any] = {
            "attempts": _D.c.attempts + 1,
            "last_attempt_at": now,
            "last_status_code": attempt.status_code,
            "last_error": attempt.error,
            "lease_owner": None,
            "lease_until": None,
        }
        if attempt.delivered:
            values |= {"status": DeliveryStatus.DELIVERED.value, "delivered_at": now}
        else:
            values["first_failed_at"] = func.coalesce(_D.c.first_failed_at, now)
            if give_up:
                values["status"] = DeliveryStatus.FAILED.value
            elif next_attempt_at is not None:
                values["next_attempt_at"] = next_attempt_at
        async with self._uow() as uow:
            statements = _Statements(uow.session)
            result = await statements.write(
                update(_D)
                .where(_D.c.id == delivery_id, _D.c.lease_owner == owner)
                .values(**values)
                .returning(_D.c.subscription_id),
                {},
            )
            held = result.one_or_none()
            if held is not None and give_up and not attempt.delivered:
                await statements.write(
                    update(_S)
                    .where(_S.c.id == held.subscription_id)
                    .values(
                        status=SubscriptionStatus.PAUSED.value,
                        paused_reason=f"delivery {delivery_id} kept failing for 24 hours",
                        paused_at=now,
                    ),
                    {},
                )
            await uow.commit()
        return held is not None

    async def list_deliveries(self, query: DeliveryQuery) -> builtins.list[Delivery]:
        statement = _SELECT_DELIVERIES.order_by(_D.c.id.desc()).limit(query.limit)
        if query.subscription_id is not None:
            statement = statement.where(_D.c.subscription_id == query.subscription_id)
        if query.status is not None:
            statement = statement.where(_D.c.status == query.status.value)
        if query.before_id is not None:
            statement = statement.where(_D.c.id < query.before_id)
        async with self._uow(read_only=True) as uow:
            rows = (await _Statements(uow.session).read(statement)).all()
        return [_delivery(row, event_id=row.event_id, event_type=row.type) for row in rows]

    async def replay(
        self, delivery_id: int, *, now: datetime, audit: AuditRecord
    ) -> Delivery | None:
        async with self._uow() as uow:
            statements = _Statements(uow.session)
            await statements.write(
                update(_D).where(_D.c.id == delivery_id).values(**_RESET, next_attempt_at=now),
                {},
            )
            row = (
                await statements.read(_SELECT_DELIVERIES.where(_D.c.id == delivery_id))
            ).one_or_none()
            if row is not None:
                await uow.audit.append(audit)
            await uow.commit()
        return None if row is None else _delivery(row, event_id=row.event_id, event_type=row.type)

    async def replay_from(
        self, subscription_id: str, event_id: str, *, now: datetime, audit: AuditRecord
    ) -> int | None:
        async with self._uow() as uow:
            statements = _Statements(uow.session)
            start = (
                await statements.read(select(_E.c.position).where(_E.c.event_id == event_id))
            ).scalar_one_or_none()
            types = (
                await statements.read(select(_S.c.event_types).where(_S.c.id == subscription_id))
            ).scalar_one_or_none()
            if start is None or types is None:
                return None
            events = (
                await statements.read(
                    select(_E.c.position, _E.c.order_id, _E.c.seq).where(
                        _E.c.position >= start,
                        _E.c.type.in_(list(types)),
                        ~exists().where(
                            _D.c.subscription_id == subscription_id,
                            _D.c.event_position == _E.c.position,
                        ),
                    )
                )
            ).all()
            if events:
                await statements.write(
                    insert(_D),
                    [_new_delivery(subscription_id, row, now) for row in events],
                )
            result = await statements.write(
                update(_D)
                .where(
                    _D.c.subscription_id == subscription_id,
                    _D.c.event_position >= start,
                )
                .values(**_RESET, next_attempt_at=now),
                {},
            )
            await uow.audit.append(audit)
            await uow.commit()
        return cast(CursorResult[Any], result).rowcount

    async def next_due_at(self, *, now: datetime) -> datetime | None:
        async with self._uow(read_only=True) as uow:
            due = (await _Statements(uow.session).read(_NEXT_DUE, {"now": now})).scalar_one()
        return cast(datetime | None, due)


def _subscription_values(new: NewSubscription) -> dict[str, Any]:
    subscription = new.subscription
    return {
        "id": subscription.id,
        "url": subscription.url,
        "event_types": list(subscription.event_types),
        "secret_sealed": new.secret_sealed,
        "status": subscription.status.value,
        "paused_reason": subscription.paused_reason,
        "paused_at": subscription.paused_at,
        "from_setting": subscription.from_setting,
        "created_at": subscription.created_at,
        "created_by": subscription.created_by,
    }


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        url=row.url,
        event_types=tuple(row.event_types),
        status=SubscriptionStatus(row.status),
        created_at=row.created_at,
        created_by=row.created_by,
        paused_reason=row.paused_reason,
        paused_at=row.paused_at,
        from_setting=bool(row.from_setting),
    )


def _delivery(row: Any, *, event_id: str, event_type: str) -> Delivery:
    return Delivery(
        id=row.id,
        subscription_id=row.subscription_id,
        event_id=event_id,
        event_type=event_type,
        order_id=row.order_id,
        seq=row.seq,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        first_failed_at=row.first_failed_at,
        last_attempt_at=row.last_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


def _new_delivery(subscription_id: str, event: Any, now: datetime) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "event_position": event.position,
        "order_id": event.order_id,
        "seq": event.seq,
        "status": _PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
