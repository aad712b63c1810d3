"""The audit log over an AsyncConnection: one INSERT per record, in the action's transaction."""

import builtins
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.sql import ColumnElement

from adapters.sqlalchemy.repositories import SqlAlchemyRepository
from adapters.sqlalchemy.tables_audit import audit_log
from application.audit import AuditQuery
from domain.audit import AuditEntry, AuditRecord

_INSERT = insert(audit_log)
_COLUMNS = ("actor_id", "actor_name", "action", "subject", "before", "after", "at")


class SqlAlchemyAuditLog(SqlAlchemyRepository):
    """Append and read; this adapter has no update or delete, by design."""

    async def append(self, record: AuditRecord) -> None:
        values = {name: getattr(record, name) for name in _COLUMNS}
        values["before"] = _plain(record.before)
        values["after"] = _plain(record.after)
        await self._write(_INSERT, values, "audit record")

    async def list(self, query: AuditQuery) -> builtins.list[AuditEntry]:
        statement = (
            select(audit_log.c.id, *(audit_log.c[name] for name in _COLUMNS))
            .where(*_conditions(query))
            .order_by(audit_log.c.id.desc())
            .limit(query.limit)
        )
        rows = (await self._run(statement)).mappings().all()
        return [
            AuditEntry(row["id"], AuditRecord(**{name: row[name] for name in _COLUMNS}))
            for row in rows
        ]


def _plain(snapshot: Any) -> dict[str, Any] | None:
    return None if snapshot is None else dict(snapshot)


def _conditions(query: AuditQuery) -> builtins.list[ColumnElement[bool]]:
    conditions: builtins.list[ColumnElement[bool]] = []
    if query.actor_id is not None:
        conditions.append(audit_log.c.actor_id == query.actor_id)
    if query.action is not None:
        conditions.append(audit_log.c.action == query.action)
    if query.subject is not None:
        conditions.append(audit_log.c.subject == query.subject)
    if query.since is not None:
        conditions.append(audit_log.c.at >= query.since)
    if query.until is not None:
        conditions.append(audit_log.c.at < query.until)
    if query.before_id is not None:
        conditions.append(audit_log.c.id < query.before_id)
    return conditions
