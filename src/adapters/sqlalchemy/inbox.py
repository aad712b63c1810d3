"""The notification inbox over an AsyncConnection.

The received notification (its fields, sender, signature, time) is written once by `add`; `update`
only writes what processing and review decide, so a stale copy can never bring back personal
data that `remove_personal_data` blanked in the meantime.
"""

import builtins
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    bindparam,
    case,
    delete,
    exists,
    insert,
    null,
    select,
    update,
)
from sqlalchemy.sql import ColumnElement, Executable

from adapters.sqlalchemy import mappers
from adapters.sqlalchemy.repositories import (
    CLAIM_STATUS_CHECK,
    SqlAlchemyRepository,
    claim_params,
)
from adapters.sqlalchemy.tables import NEVER_VERIFIED, payments
from adapters.sqlalchemy.tables import notification_inbox as inbox
from application.inbox import InboxEntry, InboxFilter, without_personal_data

_ENTRY = [inbox.c[name] for name in mappers.INBOX_COLUMNS]
_INSERT = insert(inbox).returning(inbox.c.id)
_SELECT = select(*_ENTRY).where(inbox.c.id == bindparam("key_id"))
_UPDATE = update(inbox).where(inbox.c.id == bindparam("key_id"))


def _insert_claiming() -> Executable:
    """PostgreSQL: the status-check claim (a data-modifying CTE) and the entry's insert in one
    statement. A won claim stores the entry as being processed (no outcome, no processed_at):
    `RETURNING processed_at` says which, so the claim costs no round trip of its own."""
    claimed = CLAIM_STATUS_CHECK.returning(payments.c.id).cte("claimed")
    won = exists(select(claimed.c.id))
    values: dict[str, Any] = {
        name: bindparam(_V + name, type_=inbox.c[name].type) for name in _INSERTED
    }
    values["outcome"] = case((won, null()), else_=values["outcome"])
    values["processed_at"] = case((won, null()), else_=values["processed_at"])
    return insert(inbox).values(values).add_cte(claimed).returning(inbox.c.id, inbox.c.processed_at)


_V = "v_"  # the entry's parameters, apart from the claim's (a column's own name is reserved)
_INSERTED = [name for name in mappers.INBOX_COLUMNS if name != "id"]
_INSERT_CLAIMING = _insert_claiming()
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
    if where.attempt_id is not None:
        conditions.append(inbox.c.order_uid == where.attempt_id)
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

    async def store_claiming_status_check(
        self, entry: InboxEntry, *, attempt_id: str, now: datetime, min_interval: timedelta
    ) -> bool:
        claim = claim_params(attempt_id, now, min_interval)
        if entry.id is None and self._dialect == "postgresql":
            params = {_V + name: value for name, value in mappers.inbox_entry_values(entry).items()}
            row = (await self._write(_INSERT_CLAIMING, {**params, **claim}, "inbox entry")).one()
            entry.id = row.id
            won = row.processed_at is None
            if won:
                entry.outcome = entry.processed_at = None
            return won
        # SQLite runs no data-modifying CTE: the claim, then the entry, in this transaction.
        self._writable()
        result = await self._run(CLAIM_STATUS_CHECK, claim)
        won = cast(CursorResult[Any], result).rowcount == 1
        if won:
            entry.outcome = entry.processed_at = None
        if entry.id is None:
            await self.add(entry)
        else:
            await self.update(entry)
        return won

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
