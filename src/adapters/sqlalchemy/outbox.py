"""The outbox over a unit of work's connection (application.outbox.OutboxWriter).

`append` runs in the unit of work's own transaction, just before its commit:

1. one upsert per order bumps `outbox_sequences.last_seq` by the number of its new events and
   returns the new last number. On PostgreSQL the upsert locks that row until the
   transaction ends, so a concurrent writer of the same order waits and then numbers on from
   the committed value: no gap, no repeat, and numbers are committed in order (a reader that
   saw number n never later finds a new n-1). A rolled-back transaction takes its bump
   back with it. On SQLite writers are serialized by BEGIN IMMEDIATE anyway. Orders are
   bumped in id order, after every other lock of the transaction, so this adds no deadlock;
2. one insert of the events;
3. one insert of a delivery per event and webhook subscription that takes its type (active
   or paused: a paused subscriber gets what it missed once resumed).
"""

import builtins
from collections.abc import Sequence
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from adapters.sqlalchemy.repositories import SqlAlchemyRepository
from adapters.sqlalchemy.tables import orders
from adapters.sqlalchemy.tables_events import (
    outbox_events,
    outbox_sequences,
    webhook_deliveries,
    webhook_subscriptions,
)
from application.outbox import OutboxDraft, OutboxEvent
from application.webhooks import DeliveryStatus

_EVENT_COLUMNS = (
    outbox_events.c.position,
    outbox_events.c.event_id,
    outbox_events.c.order_id,
    outbox_events.c.seq,
    outbox_events.c.type,
    outbox_events.c.payload,
    outbox_events.c.occurred_at,
)
_SELECT_FOR_ORDER = (
    select(*_EVENT_COLUMNS)
    .where(
        outbox_events.c.order_id == bindparam("order_id"),
        outbox_events.c.seq > bindparam("after_seq"),
    )
    .order_by(outbox_events.c.seq)
)
_SELECT_ORDER_VIEW = select(
    orders.c.id, orders.c.status, orders.c.total, orders.c.table_number
).where(orders.c.id == bindparam("order_id"))
_SELECT_SUBSCRIBERS = select(webhook_subscriptions.c.id, webhook_subscriptions.c.event_types)
# Built once, so each commit only looks up their compiled form (SQLAlchemy's cache).
# Without `sort_by_parameter_order`, which SQLite can only honour one row per statement: the
# rows are put back in the drafts' order by their event ids instead.
_INSERT_EVENTS = insert(outbox_events).returning(*_EVENT_COLUMNS)
_INSERT_DELIVERIES = insert(webhook_deliveries)


def _bump_statement(dialect: ModuleType) -> Executable:
    """Add `count` to the order's last number (a new order starts at `count`), returning it."""
    statement = dialect.insert(outbox_sequences).values(
        order_id=bindparam("order_id"), last_seq=bindparam("count")
    )
    upsert: Executable = statement.on_conflict_do_update(
        index_elements=[outbox_sequences.c.order_id],
        set_={"last_seq": outbox_sequences.c.last_seq + statement.excluded.last_seq},
    ).returning(outbox_sequences.c.last_seq)
    return upsert


_BUMP = {"postgresql": _bump_statement(postgresql), "sqlite": _bump_statement(sqlite)}


def event_from_row(row: Any) -> OutboxEvent:
    return OutboxEvent(
        position=row.position,
        id=row.event_id,
        order_id=row.order_id,
        seq=row.seq,
        type=row.type,
        payload=dict(row.payload),
        occurred_at=row.occurred_at,
    )


class SqlAlchemyOutbox(SqlAlchemyRepository):
    """Writes a transaction's events with their order's next numbers; reads an order's."""

    async def append(self, drafts: Sequence[OutboxDraft]) -> builtins.list[OutboxEvent]:
        if not drafts:
            return []
        self._writable()
        counts: dict[int, int] = {}
        for draft in drafts:
            counts[draft.order_id] = counts.get(draft.order_id, 0) + 1
        next_seq: dict[int, int] = {}
        for order_id in sorted(counts):
            last = await self._bump(order_id, counts[order_id])
            next_seq[order_id] = last - counts[order_id] + 1
        rows: builtins.list[dict[str, Any]] = []
        for draft in drafts:
            seq = next_seq[draft.order_id]
            next_seq[draft.order_id] = seq + 1
            rows.append(
                {
                    "event_id": draft.id,
                    "order_id": draft.order_id,
                    "seq": seq,
                    "type": draft.type,
                    "payload": draft.payload_with(seq),
                    "occurred_at": draft.occurred_at,
                }
            )
        inserted = await self._write(_INSERT_EVENTS, rows, "outbox event")
        by_id = {row.event_id: event_from_row(row) for row in inserted.all()}
        events = [by_id[row["event_id"]] for row in rows]
        await self._fan_out(events)
        return events

    async def for_order(self, order_id: int, after_seq: int = 0) -> builtins.list[OutboxEvent]:
        result = await self._run(_SELECT_FOR_ORDER, {"order_id": order_id, "after_seq": after_seq})
        return [event_from_row(row) for row in result.all()]

    async def order_view(self, order_id: int) -> dict[str, Any] | None:
        row = (await self._run(_SELECT_ORDER_VIEW, {"order_id": order_id})).one_or_none()
        if row is None:
            return None
        return {
            "id": row.id,
            "status": row.status,
            "total": row.total,
            "table_number": row.table_number,
        }

    async def _bump(self, order_id: int, count: int) -> int:
        statement = _BUMP["postgresql" if self._dialect == "postgresql" else "sqlite"]
        params = {"order_id": order_id, "count": count}
        last: int = (await self._write(statement, params, "outbox sequence")).scalar_one()
        return last

    async def _fan_out(self, events: Sequence[OutboxEvent]) -> None:
        subscribers = (await self._run(_SELECT_SUBSCRIBERS)).all()
        rows = [
            _delivery_row(subscriber.id, event, now=event.occurred_at)
            for event in events
            for subscriber in subscribers
            if event.type in subscriber.event_types
        ]
        if rows:
            await self._write(_INSERT_DELIVERIES, rows, "webhook delivery")


def _delivery_row(subscription_id: str, event: OutboxEvent, *, now: datetime) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "event_position": event.position,
        "order_id": event.order_id,
        "seq": event.seq,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "first_failed_at": None,
        "last_attempt_at": None,
        "last_status_code": None,
        "last_error": None,
        "delivered_at": None,
        "lease_owner": None,
        "lease_until": None,
    }
