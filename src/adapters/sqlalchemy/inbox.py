"""The notification inbox over an AsyncConnection.

The received notification (its fields, sender, signature, time) is written once by `add`; `update`
only writes what processing and review decide, so a stale copy can never bring back personal
data that `remove_personal_data` blanked in the meantime.
"""

import builtins
from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, insert, select, update
from sqlalchemy.sql import ColumnElement

from adapters.sqlalchemy import mappers
from adapters.sqlalchemy.repositories import SqlAlchemyRepository
from adapters.sqlalchemy.tables import NEVER_VERIFIED
from adapters.sqlalchemy.tables import notification_inbox as inbox
from application.inbox import InboxEntry, InboxFilter, without_personal_data

_ENTRY = [inbox.c[name] for name in mappers.INBOX_COLUMNS]
_INSERT = insert(inbox).returning(inbox.c.id)
_SELECT = select(*_ENTRY).where(inbox.c.id == bindparam("key_id"))
_UPDATE = update(inbox).where(inbox.c.id == bindparam("key_id"))
_SELECT_EXPIRED = (
    select(inbox.c.id, inbox.c.fields)
    .where(
        inbox.c.received_at < bindparam("received_before"),
        inbox.c.personal_data_removed_at.is_(None),
    )
    # The order of ix_notification_inbox_personal_data_due: a batch reads only its own rows.
    .order_by(inbox.c.received_at)
)
_BLANK = update(inbox).where(
    inbox.c.id == bindparam("key_id"), inbox.c.personal_data_removed_at.is_(None)
)

# Oldest first, a bounded batch (read through ix_notification_inbox_rejected_received_at); the
# subquery keeps it one statement on both databases.
_DELETE_REJECTED = delete(inbox).where(
    inbox.c.id.in_(
        select(inbox.c.id)
        .where(
            inbox.c.received_at < bindparam("received_before"),
            # The index's own predicate, written as it is: a planner proves it from literals
            # only, never from bound parameters.
            NEVER_VERIFIED,
        )
        .order_by(inbox.c.received_at)
        .limit(bindparam("batch"))
        .scalar_subquery()
    )
)


def _conditions(where: InboxFilter) -> builtins.list[ColumnElement[bool]]:
    conditions: builtins.list[ColumnElement[bool]] = []
    if where.order_uid is not None:
        conditions.append(inbox.c.order_uid == where.order_uid)
    if where.outcome is not None:
        conditions.append(inbox.c.outcome == where.outcome)
    if where.verification is not None:
        conditions.append(inbox.c.verification == where.verification.value)
    if where.needs_review is not None:
        conditions.append(inbox.c.needs_review.is_(where.needs_review))
    if where.received_from is not None:
        conditions.append(inbox.c.received_at >= where.received_from)
    if where.received_until is not None:
        conditions.append(inbox.c.received_at < where.received_until)
    if where.before_id is not None:
        conditions.append(inbox.c.id < where.before_id)
    return conditions


class SqlAlchemyNotificationInbox(SqlAlchemyRepository):
    """Stored gateway notifications by id."""

    async def add(self, entry: InboxEntry) -> None:
        result = await self._write(_INSERT, mappers.inbox_entry_values(entry), "inbox entry")
        entry.id = result.scalar_one()

    async def update(self, entry: InboxEntry) -> None:
        params = {**mappers.inbox_entry_changes(entry), "key_id": entry.key}
        await self._update(_UPDATE, params, f"inbox entry {entry.key}")

    async def get(self, entry_id: int) -> InboxEntry | None:
        row = (await self._run(_SELECT, {"key_id": entry_id})).first()
        return mappers.inbox_entry_from_row(row._mapping) if row else None

    async def list(self, where: InboxFilter) -> builtins.list[InboxEntry]:
        statement = (
            select(*_ENTRY)
            .where(*_conditions(where))
            .order_by(inbox.c.id.desc())
            .limit(where.limit)
        )
        return [mappers.inbox_entry_from_row(row._mapping) for row in await self._run(statement)]

    async def remove_personal_data(
        self,
        *,
        received_before: datetime,
        personal_fields: Collection[str],
        now: datetime,
        limit: int,
    ) -> int:
        self._writable()
        # Lock the rows on PostgreSQL so two purges do not count the same entry twice; a batch
        # of `limit` rows keeps the write lock and the memory for `fields` small.
        statement = _SELECT_EXPIRED.limit(limit).with_for_update()
        rows = (await self._run(statement, {"received_before": received_before})).all()
        if not rows:
            return 0
        changes: builtins.list[dict[str, Any]] = [
            {
                "key_id": row.id,
                "fields": without_personal_data(row.fields, personal_fields),
                "personal_data_removed_at": now,
            }
            for row in rows
        ]
        await self._write(_BLANK, changes, "inbox entries")
        return len(changes)

    async def delete_rejected(self, *, received_before: datetime, limit: int) -> int:
        self._writable()
        result = await self._run(
            _DELETE_REJECTED, {"received_before": received_before, "batch": limit}
        )
        return cast(CursorResult[Any], result).rowcount
