"""In-memory staff accounts, sessions and failed-login counts, staged until commit.

Each repository keeps its staged writes in a `Staged` table (None marks a deletion) that the
unit of work applies to the store on commit and drops on rollback.
"""

import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from adapters.in_memory.copies import detached
from adapters.in_memory.store import InMemoryStore
from application.errors import ConcurrentUpdate
from application.staff_access import StaffSession, ThrottleKey
from domain.login_throttle import FailedLogins
from domain.staff import Role, StaffAccount, name_key

K = TypeVar("K")
V = TypeVar("V")


@dataclass(slots=True)
class Staged(Generic[K, V]):
    """Committed rows plus this transaction's writes (None: deleted)."""

    committed: dict[K, V]
    read_only: bool
    writes: dict[K, V | None] = field(default_factory=dict)

    def visible(self) -> dict[K, V]:
        merged: dict[K, V | None] = {**self.committed, **self.writes}
        return {key: value for key, value in merged.items() if value is not None}

    def items(self) -> Iterator[tuple[K, V]]:
        return iter(self.visible().items())

    def put(self, key: K, value: V | None) -> None:
        if self.read_only:
            raise RuntimeError("write in a read-only unit of work")
        self.writes[key] = value

    def apply(self) -> None:
        for key, value in self.writes.items():
            if value is None:
                self.committed.pop(key, None)
            else:
                self.committed[key] = value
        self.writes.clear()


class InMemoryStaffRepository:
    """Accounts; a name taken by another account (ignoring case) is refused."""

    def __init__(self, store: InMemoryStore, *, read_only: bool) -> None:
        self._store = store
        self.table: Staged[int, StaffAccount] = Staged(store.staff, read_only)

    async def add(self, account: StaffAccount) -> None:
        if any(other.key == account.key for _, other in self.table.items()):
            raise ConcurrentUpdate("another account has this name")
        account.id = self._store.next_staff_id()
        self.table.put(account.id, detached(account))

    async def get(self, account_id: int) -> StaffAccount | None:
        found = self.table.visible().get(account_id)
        return detached(found) if found else None

    async def find_by_name(self, name: str) -> StaffAccount | None:
        key = name_key(name)
        found = next((a for _, a in self.table.items() if a.key == key), None)
        return detached(found) if found else None

    async def list(self) -> list[StaffAccount]:
        return [detached(a) for _, a in sorted(self.table.items())]

    async def update(self, account: StaffAccount) -> None:
        current = self.table.visible().get(account.id or 0)
        if current is None or current.version != account.version:
            raise ConcurrentUpdate(f"staff account {account.id} changed since it was read")
        account.version += 1
        self.table.put(current.id or 0, detached(account))

    async def lock_active_admins(self) -> builtins.list[int]:
        # The store has one writer at a time: reading is locking enough.
        return sorted(key for key, a in self.table.items() if a.active and a.role is Role.ADMIN)


class InMemoryStaffSessionRepository:
    """Sessions by token hash."""

    def __init__(self, store: InMemoryStore, *, read_only: bool) -> None:
        self._store = store
        self.table: Staged[str, StaffSession] = Staged(store.staff_sessions, read_only)

    async def add(self, session: StaffSession) -> None:
        self.table.put(session.token_hash, session)

    async def find(
        self, token_hash: str, *, now: datetime
    ) -> tuple[StaffSession, StaffAccount] | None:
        session = self.table.visible().get(token_hash)
        account = self._store.staff.get(session.account_id) if session else None
        if session is None or account is None or session.expires_at <= now:
            return None
        return session, detached(account)

    async def end(self, token_hash: str) -> StaffSession | None:
        session = self.table.visible().get(token_hash)
        if session is not None:
            self.table.put(token_hash, None)
        return session

    async def end_all(self, account_id: int) -> int:
        ended = [key for key, s in self.table.items() if s.account_id == account_id]
        for key in ended:
            self.table.put(key, None)
        return len(ended)

    async def purge_expired(self, *, now: datetime, limit: int) -> int:
        expired = sorted(
            (s.expires_at, key) for key, s in self.table.items() if s.expires_at <= now
        )[:limit]
        for _, key in expired:
            self.table.put(key, None)
        return len(expired)


class InMemoryLoginThrottleRepository:
    """Failed logins per (name, address), each with the time it may be forgotten."""

    def __init__(self, store: InMemoryStore, *, read_only: bool) -> None:
        self.table: Staged[ThrottleKey, tuple[FailedLogins, datetime]] = Staged(
            store.login_failures, read_only
        )

    async def lock(self, key: ThrottleKey, *, now: datetime) -> FailedLogins:
        found = self.table.visible().get(key)
        if found is None:
            fresh = FailedLogins.none(now)
            self.table.put(key, (fresh, now))
            return fresh
        return found[0]

    async def put(self, key: ThrottleKey, record: FailedLogins, *, forget_at: datetime) -> None:
        self.table.put(key, (record, forget_at))

    async def forget(self, key: ThrottleKey) -> None:
        self.table.put(key, None)

    async def purge(self, *, now: datetime, limit: int) -> int:
        stale = sorted(
            ((forget_at, key) for key, (_, forget_at) in self.table.items() if forget_at <= now),
            key=lambda pair: pair[0],
        )[:limit]
        for _, key in stale:
            self.table.put(key, None)
        return len(stale)
