"""Staff accounts, sessions and failed-login counts over an AsyncConnection (Core statements).

- An account is inserted with ON CONFLICT DO NOTHING on its case-folded name, so a name taken
  in a racing transaction becomes ConcurrentUpdate and leaves the transaction usable; updates
  are conditional on the version that was read.
- `lock_active_admins` reads the active admins FOR UPDATE on PostgreSQL: a second change waits,
  then sees the first one's result (READ COMMITTED re-checks the locked rows), so two admins
  cannot demote each other at once. SQLite's one writer at a time gives the same order.
- A failed-login pair is created ON CONFLICT DO NOTHING, then read FOR UPDATE, so concurrent
  attempts on one pair are counted one after the other on both databases.
"""

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from adapters.sqlalchemy.repositories import SqlAlchemyRepository
from adapters.sqlalchemy.tables_staff import login_failures, staff_accounts, staff_sessions
from application.errors import ConcurrentUpdate
from application.staff_access import StaffSession, ThrottleKey
from domain.login_throttle import FailedLogins
from domain.staff import Role, StaffAccount, name_key

_ACCOUNT = [
    staff_accounts.c[name]
    for name in (
        "id",
        "name",
        "role",
        "active",
        "password_hash",
        "created_at",
        "updated_at",
        "version",
    )
]
_SELECT_ACCOUNT = select(*_ACCOUNT)
_UPDATE_ACCOUNT = (
    update(staff_accounts)
    .where(
        staff_accounts.c.id == bindparam("key_id"),
        staff_accounts.c.version == bindparam("read_version"),
    )
    .values(version=staff_accounts.c.version + 1)
)
LOCK_ROUNDS = 5
_SESSION = [
    staff_sessions.c[name] for name in ("token_hash", "account_id", "created_at", "expires_at")
]


def _on_conflict_do_nothing(dialect: str, table: Table) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"kasir supports SQLite and PostgreSQL, not {dialect}")


def _account(row: Any) -> StaffAccount:
    return StaffAccount(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        active=bool(row["active"]),
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


class SqlAlchemyStaffRepository(SqlAlchemyRepository):
    """Staff accounts by id."""

    async def add(self, account: StaffAccount) -> None:
        statement = _on_conflict_do_nothing(self._dialect, staff_accounts).returning(
            staff_accounts.c.id
        )
        values = {
            "name": account.name,
            "name_key": account.key,
            "role": account.role.value,
            "active": account.active,
            "password_hash": account.password_hash,
            "created_at": account.created_at,
            "updated_at": account.updated_at,
            "version": account.version,
        }
        new_id = (await self._write(statement, values, "staff account")).scalar_one_or_none()
        if new_id is None:
            raise ConcurrentUpdate("another account has this name")
        account.id = new_id

    async def get(self, account_id: int) -> StaffAccount | None:
        statement = _SELECT_ACCOUNT.where(staff_accounts.c.id == account_id)
        row = (await self._run(statement)).mappings().first()
        return _account(row) if row else None

    async def find_by_name(self, name: str) -> StaffAccount | None:
        statement = _SELECT_ACCOUNT.where(staff_accounts.c.name_key == name_key(name))
        row = (await self._run(statement)).mappings().first()
        return _account(row) if row else None

    async def list(self) -> builtins.list[StaffAccount]:
        rows = (await self._run(_SELECT_ACCOUNT.order_by(staff_accounts.c.id))).mappings()
        return [_account(row) for row in rows]

    async def update(self, account: StaffAccount) -> None:
        params = {
            "key_id": account.id,
            "read_version": account.version,
            "role": account.role.value,
            "active": account.active,
            "password_hash": account.password_hash,
            "updated_at": account.updated_at,
        }
        await self._update(_UPDATE_ACCOUNT, params, f"staff account {account.id}")
        account.version += 1

    async def lock_active_admins(self) -> builtins.list[int]:
        self._writable()
        statement = (
            select(staff_accounts.c.id)
            .where(staff_accounts.c.role == Role.ADMIN.value, staff_accounts.c.active.is_(True))
            .order_by(staff_accounts.c.id)
            .with_for_update()
        )
        return list((await self._run(statement)).scalars())


class SqlAlchemyStaffSessionRepository(SqlAlchemyRepository):
    """Sessions by token hash; an account's sessions go with it."""

    async def add(self, session: StaffSession) -> None:
        values = {name: getattr(session, name) for name in StaffSession.__slots__}
        await self._write(insert(staff_sessions), values, "staff session")

    async def find(
        self, token_hash: str, *, now: datetime
    ) -> tuple[StaffSession, StaffAccount] | None:
        statement = (
            select(*_SESSION, *(c.label(f"of_account_{c.name}") for c in _ACCOUNT))
            .join(staff_accounts, staff_accounts.c.id == staff_sessions.c.account_id)
            .where(staff_sessions.c.token_hash == token_hash, staff_sessions.c.expires_at > now)
        )
        row = (await self._run(statement)).mappings().first()
        if row is None:
            return None
        session = StaffSession(*(row[c.name] for c in _SESSION))
        account = _account({c.name: row[f"of_account_{c.name}"] for c in _ACCOUNT})
        return session, account

    async def end(self, token_hash: str) -> StaffSession | None:
        statement = (
            delete(staff_sessions)
            .where(staff_sessions.c.token_hash == token_hash)
            .returning(*_SESSION)
        )
        row = (await self._write(statement, {}, "staff session")).mappings().first()
        return StaffSession(**row) if row else None

    async def end_all(self, account_id: int) -> int:
        statement = delete(staff_sessions).where(staff_sessions.c.account_id == account_id)
        result = await self._write(statement, {}, "staff sessions")
        return int(getattr(result, "rowcount", 0))

    async def purge_expired(self, *, now: datetime, limit: int) -> int:
        oldest = (
            select(staff_sessions.c.token_hash)
            .where(staff_sessions.c.expires_at <= now)
            .order_by(staff_sessions.c.expires_at)
            .limit(limit)
        )
        statement = delete(staff_sessions).where(staff_sessions.c.token_hash.in_(oldest))
        result = await self._write(statement, {}, "staff sessions")
        return int(getattr(result, "rowcount", 0))


class SqlAlchemyLoginThrottleRepository(SqlAlchemyRepository):
    """Failed logins per (name key, address)."""

    @staticmethod
    def _where(key: ThrottleKey) -> tuple[Any, ...]:
        return (login_failures.c.name_key == key.name_key, login_failures.c.address == key.address)

    async def lock(self, key: ThrottleKey, *, now: datetime) -> FailedLogins:
        fresh = FailedLogins.none(now)
        values = {
            "name_key": key.name_key,
            "address": key.address,
            "failures": fresh.failures,
            "last_failed_at": fresh.last_failed_at,
            "blocked_until": fresh.blocked_until,
            "forget_at": now,
        }
        statement = (
            select(
                login_failures.c.failures,
                login_failures.c.last_failed_at,
                login_failures.c.blocked_until,
            )
            .where(*self._where(key))
            .with_for_update()
        )
        # A racing sign-in may delete the row (a success forgets it) between the insert and
        # the locking read; insert again then. Each round needs such a race: a few suffice.
        for _ in range(LOCK_ROUNDS):
            insert_missing = _on_conflict_do_nothing(self._dialect, login_failures)
            await self._write(insert_missing, values, "failed logins")
            row = (await self._run(statement)).mappings().first()
            if row is not None:
                return FailedLogins(**row)
        raise ConcurrentUpdate("failed logins of this name and address keep changing")

    async def put(self, key: ThrottleKey, record: FailedLogins, *, forget_at: datetime) -> None:
        statement = (
            update(login_failures)
            .where(*self._where(key))
            .values(
                failures=record.failures,
                last_failed_at=record.last_failed_at,
                blocked_until=record.blocked_until,
                forget_at=forget_at,
            )
        )
        await self._update(statement, {}, "failed logins")

    async def forget(self, key: ThrottleKey) -> None:
        await self._write(delete(login_failures).where(*self._where(key)), {}, "failed logins")

    async def purge(self, *, now: datetime, limit: int) -> int:
        stale = (
            select(login_failures.c.name_key, login_failures.c.address)
            .where(login_failures.c.forget_at <= now)
            .order_by(login_failures.c.forget_at)
            .limit(limit)
        )
        rows = (await self._run(stale)).mappings().all()
        deleted = 0
        for row in rows:
            # Checked again as it is deleted: a racing attempt may have just counted a new
            # failure on the pair (PostgreSQL re-reads a row it waited for).
            key = ThrottleKey(row["name_key"], row["address"])
            statement = delete(login_failures).where(
                *self._where(key), login_failures.c.forget_at <= now
            )
            result = await self._write(statement, {}, "failed logins")
            deleted += int(getattr(result, "rowcount", 0))
        return deleted
