"""Admins read the audit log: filtered, newest first, a page at a time (application.audit)."""

from dataclasses import dataclass

from application.audit import AuditQuery
from application.callers import Caller, Role, require_staff
from application.ports import UnitOfWorkFactory
from domain.audit import AuditEntry


@dataclass(frozen=True, slots=True)
class ReadAuditLog:
    """One page of audit entries matching the query (admins only). The log has no update or
    delete path: this is the only use case over it besides the appends of the actions."""

    uow: UnitOfWorkFactory

    async def execute(self, query: AuditQuery, *, caller: Caller) -> list[AuditEntry]:
        require_staff(caller, Role.ADMIN)
        async with self.uow(read_only=True) as uow:
            return await uow.audit.list(query)
