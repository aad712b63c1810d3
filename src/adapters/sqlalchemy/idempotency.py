"""Idempotency keys in the `idempotency_keys` table (application.ports.IdempotencyStore).

Each call is one short write transaction of its own (BEGIN IMMEDIATE on SQLite, so calls of
this process and others are serialized there; on PostgreSQL a single-statement call is one
AUTOCOMMIT statement). On PostgreSQL a claim is an `INSERT ... ON CONFLICT DO NOTHING` (a
racing insert of the same key waits for the first to commit, then inserts nothing); only when
it inserted nothing, a transaction runs it again, then a conditional `UPDATE` that takes over
an expired key or a dead request's lease (re-checked on the committed row, so two takeovers
cannot both win), then a read of the key as stored.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Insert,
    Result,
    and_,
    bindparam,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from adapters.sqlalchemy.repositories import SqlAlchemyRepository
from adapters.sqlalchemy.tables import idempotency_keys as keys
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.errors import ConcurrentUpdate
from application.idempotency import IdempotencyRecord, StoredResponse

_COLUMNS = (
    keys.c.scope,
    keys.c.idempotency_key,
    keys.c.fingerprint,
    keys.c.lease_owner,
    keys.c.lease_until,
    keys.c.response_status,
    keys.c.response_content_type,
    keys.c.response_body,
    keys.c.created_at,
    keys.c.expires_at,
)
_THIS_KEY = and_(
    keys.c.scope == bindparam("key_scope"), keys.c.idempotency_key == bindparam("key_key")
)
_SELECT = select(*_COLUMNS).where(_THIS_KEY)
# Replace an expired key, or take over a request that died (its lease ran out unanswered).
_TAKE_OVER = (
    update(keys)
    .where(
        _THIS_KEY,
        or_(
            keys.c.expires_at <= bindparam("now"),
            and_(
                keys.c.response_status.is_(None),
                keys.c.lease_until <= bindparam("now"),
                keys.c.fingerprint == bindparam("fingerprint"),
            ),
        ),
    )
    .values(
        fingerprint=bindparam("fingerprint"),
        lease_owner=bindparam("owner"),
        lease_until=bindparam("lease_until"),
        response_status=None,
        response_content_type=None,
        response_body=None,
        created_at=bindparam("now"),
        completed_at=None,
        expires_at=bindparam("expires_at"),
    )
    .returning(*_COLUMNS)
)
_COMPLETE = update(keys).where(
    _THIS_KEY, keys.c.lease_owner == bindparam("owner"), keys.c.response_status.is_(None)
)
_RELEASE = delete(keys).where(
    _THIS_KEY, keys.c.lease_owner == bindparam("owner"), keys.c.response_status.is_(None)
)
_PURGE = delete(keys).where(keys.c.expires_at <= bindparam("now"))


def _insert_unless_taken(dialect: str) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(keys).on_conflict_do_nothing().returning(keys.c.id)
    if dialect == "sqlite":
        return sqlite.insert(keys).on_conflict_do_nothing().returning(keys.c.id)
    raise NotImplementedError(f"kasir supports SQLite and PostgreSQL, not {dialect}")


_INSERT = {name: _insert_unless_taken(name) for name in ("postgresql", "sqlite")}


class _Statements(SqlAlchemyRepository):
    """Runs this module's statements in a unit of work's session, with its error handling."""

    async def write(self, statement: Executable, params: dict[str, Any]) -> Result[Any]:
        return await self._write(statement, params, "idempotency key")

    async def read(self, statement: Executable, params: dict[str, Any]) -> Result[Any]:
        return await self._run(statement, params)

    @property
    def dialect(self) -> str:
        return self._dialect


def _record(row: RowMapping) -> IdempotencyRecord:
    response = None
    if row["response_status"] is not None:
        response = StoredResponse(
            status_code=int(row["response_status"]),
            body=bytes(row["response_body"] or b""),
            content_type=row["response_content_type"],
        )
    return IdempotencyRecord(
        scope=row["scope"],
        key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        response=response,
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


class SqlAlchemyIdempotencyStore:
    """Idempotency keys over the unit of work factory's engine.

    On PostgreSQL a statement that is a whole transaction by itself (a first claim's insert,
    `complete`, `release`, `purge_expired`) runs on an AUTOCOMMIT connection: the same
    atomic, durable commit without the BEGIN and COMMIT round trips. On SQLite every write
    goes through the unit of work, whose write gate queues this process's writers.
    """

    def __init__(self, uow: SqlAlchemyUnitOfWorkFactory, *, attempts: int = 3) -> None:
        self._uow = uow
        self._attempts = attempts
        engine = uow.engine
        self._autocommit: AsyncEngine | None = None
        if engine.dialect.name == "postgresql":
            self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def claim(
        self,
        *,
        scope: str,
        key: str,
        fingerprint: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        expires_at: datetime,
    ) -> IdempotencyRecord:
        this = {"key_scope": scope, "key_key": key}
        new_row = {
            "scope": scope,
            "idempotency_key": key,
            "fingerprint": fingerprint,
            "lease_owner": owner,
            "lease_until": lease_until,
            "created_at": now,
            "expires_at": expires_at,
        }
        claimed = IdempotencyRecord(
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            lease_owner=owner,
            lease_until=lease_until,
            created_at=now,
            expires_at=expires_at,
        )
        if self._autocommit is not None:
            # The common case, a fresh key: one statement, committed by itself.
            async with self._autocommit.connect() as connection:
                sql = _Statements(connection)
                if (await sql.write(_INSERT[sql.dialect], new_row)).first() is not None:
                    return claimed
        for _ in range(self._attempts):
            async with self._uow() as uow:
                sql = _Statements(uow.session)
                inserted = await sql.write(_INSERT[sql.dialect], new_row)
                if inserted.first() is not None:
                    await uow.commit()
                    return claimed
                params = {
                    **this,
                    "now": now,
                    "fingerprint": fingerprint,
                    "owner": owner,
                    "lease_until": lease_until,
                    "expires_at": expires_at,
                }
                taken = (await sql.write(_TAKE_OVER, params)).first()
                if taken is not None:
                    await uow.commit()
                    return _record(taken._mapping)
                row = (await sql.read(_SELECT, this)).first()
                if row is not None:
                    return _record(row._mapping)
            # Purged between the statements: claim it afresh.
        raise ConcurrentUpdate(f"idempotency key {key!r} keeps changing")

    async def complete(
        self,
        *,
        scope: str,
        key: str,
        owner: str,
        response: StoredResponse,
        now: datetime,
        expires_at: datetime,
    ) -> bool:
        statement = _COMPLETE.values(
            response_status=response.status_code,
            response_content_type=response.content_type,
            response_body=response.body,
            completed_at=now,
            expires_at=expires_at,
            lease_owner=None,
            lease_until=None,
        )
        params = {"key_scope": scope, "key_key": key, "owner": owner}
        return await self._change(statement, params) == 1

    async def release(self, *, scope: str, key: str, owner: str) -> bool:
        params = {"key_scope": scope, "key_key": key, "owner": owner}
        return await self._change(_RELEASE, params) == 1

    async def purge_expired(self, *, now: datetime) -> int:
        return await self._change(_PURGE, {"now": now})

    async def _change(self, statement: Executable, params: dict[str, Any]) -> int:
        if self._autocommit is not None:
            async with self._autocommit.connect() as connection:
                result = await _Statements(connection).write(statement, params)
            return cast(CursorResult[Any], result).rowcount
        async with self._uow() as uow:
            result = await _Statements(uow.session).write(statement, params)
            await uow.commit()
        return cast(CursorResult[Any], result).rowcount
