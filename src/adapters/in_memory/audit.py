"""The audit log in memory: appended records reach the store on commit, never otherwise."""

import builtins

from adapters.in_memory.store import InMemoryStore
from application.audit import AuditQuery
from domain.audit import AuditEntry, AuditRecord


class InMemoryAuditLog:
    """Append-only, like the SQL table: staged until the unit of work commits."""

    def __init__(self, store: InMemoryStore, *, read_only: bool = False) -> None:
        self._store = store
        self._read_only = read_only
        self.staged: builtins.list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot write")
        self.staged.append(record)

    def commit(self) -> None:
        for record in self.staged:
            self._store.audit.append(AuditEntry(len(self._store.audit) + 1, record))
        self.staged.clear()

    async def list(self, query: AuditQuery) -> builtins.list[AuditEntry]:
        found = [entry for entry in reversed(self._store.audit) if _matches(entry, query)]
        return found[: query.limit]


def _matches(entry: AuditEntry, query: AuditQuery) -> bool:
    record = entry.record
    return (
        (query.actor_id is None or record.actor_id == query.actor_id)
        and (query.action is None or record.action == query.action)
        and (query.subject is None or record.subject == query.subject)
        and (query.since is None or record.at >= query.since)
        and (query.until is None or record.at < query.until)
        and (query.before_id is None or entry.id < query.before_id)
    )
