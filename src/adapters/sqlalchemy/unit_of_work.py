"""The SQLAlchemy unit of work: one AsyncConnection, one database transaction.

A write unit of work begins its transaction as soon as it is entered. On SQLite that is
`BEGIN IMMEDIATE` (see engine.py), which takes the database's single write lock; writers of the
same process also queue on an asyncio lock first, so they wait in order instead of all polling
for the lock. A writer that meets another process's lock waits on an asyncio back-off, never
blocking the event loop, for up to 5 s, then fails with DatabaseBusy (sqlite_inline.py).
Read-only units of work begin a deferred transaction and never block.
On PostgreSQL both kinds are plain READ COMMITTED transactions; the repositories' conditional
updates and `SELECT ... FOR UPDATE` provide the guarantees.
"""

import asyncio
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.audit import SqlAlchemyAuditLog
from adapters.sqlalchemy.drawer import SqlAlchemyRefundRepository, SqlAlchemyShiftRepository
from adapters.sqlalchemy.errors import busy_error, is_busy
from adapters.sqlalchemy.inbox import SqlAlchemyNotificationInbox
from adapters.sqlalchemy.outbox import SqlAlchemyOutbox
from adapters.sqlalchemy.repositories import (
    SqlAlchemyMenuRepository,
    SqlAlchemyOrderRepository,
    SqlAlchemyPaymentRepository,
)
from adapters.sqlalchemy.sqlite_inline import SQLITE_BEGIN
from adapters.sqlalchemy.staff import (
    SqlAlchemyLoginThrottleRepository,
    SqlAlchemyStaffRepository,
    SqlAlchemyStaffSessionRepository,
)
from adapters.system import SystemClock, new_event_id
from application.events import NewEvents
from application.ports import Clock, EventPublisher
from domain.events import DomainEvent

R = TypeVar("R")


class SqlAlchemyUnitOfWork:
    """Rolls back on exit unless `commit` was called; always closes its connection.

    The repositories run Core statements only, so the unit of work holds a plain
    AsyncConnection rather than an ORM AsyncSession, which would add its own bookkeeping to
    every statement and transaction (about a fifth of a callback's CPU time; see
    docs/benchmarks.md).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        read_only: bool = False,
        write_gate: asyncio.Lock | None = None,
        events: EventPublisher | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._engine = engine
        self._publisher = events
        self._new_events = NewEvents(clock or SystemClock(), new_event_id)
        self._read_only = read_only
        self._write_gate = write_gate
        self._gate_held = False
        self._session: AsyncConnection | None = None
        self._menu: SqlAlchemyMenuRepository | None = None
        self._orders: SqlAlchemyOrderRepository | None = None
        self._payments: SqlAlchemyPaymentRepository | None = None
        self._inbox: SqlAlchemyNotificationInbox | None = None
        self._audit: SqlAlchemyAuditLog | None = None
        self._outbox: SqlAlchemyOutbox | None = None
        self._staff: SqlAlchemyStaffRepository | None = None
        self._staff_sessions: SqlAlchemyStaffSessionRepository | None = None
        self._login_throttle: SqlAlchemyLoginThrottleRepository | None = None
        self._shifts: SqlAlchemyShiftRepository | None = None
        self._refunds: SqlAlchemyRefundRepository | None = None

    @property
    def read_only(self) -> bool:
        return self._read_only

    @property
    def session(self) -> AsyncConnection:
        """The transaction's connection, for adapters that run their own statements in it."""
        return self._entered()

    @property
    def menu(self) -> SqlAlchemyMenuRepository:
        if self._menu is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._menu

    @property
    def orders(self) -> SqlAlchemyOrderRepository:
        if self._orders is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._orders

    @property
    def payments(self) -> SqlAlchemyPaymentRepository:
        if self._payments is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._payments

    @property
    def inbox(self) -> SqlAlchemyNotificationInbox:
        if self._inbox is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._inbox

    @property
    def audit(self) -> SqlAlchemyAuditLog:
        if self._audit is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._audit

    @property
    def outbox(self) -> SqlAlchemyOutbox:
        if self._outbox is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._outbox

    @property
    def staff(self) -> SqlAlchemyStaffRepository:
        return _entered(self._staff)

    @property
    def staff_sessions(self) -> SqlAlchemyStaffSessionRepository:
        return _entered(self._staff_sessions)

    @property
    def login_throttle(self) -> SqlAlchemyLoginThrottleRepository:
        return _entered(self._login_throttle)

    @property
    def shifts(self) -> SqlAlchemyShiftRepository:
        if self._shifts is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._shifts

    @property
    def refunds(self) -> SqlAlchemyRefundRepository:
        if self._refunds is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._refunds

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is already entered")
        if self._write_gate is not None:
            await self._write_gate.acquire()
            self._gate_held = True
        session = self._engine.connect()
        try:
            await session.start()
            try:
                # Begin now (BEGIN IMMEDIATE for a SQLite writer), not at the first statement.
                await session.begin()
            except BaseException:
                await session.close()
                raise
        except BaseException as exc:
            self._release_gate()
            if isinstance(exc, DBAPIError) and is_busy(exc):
                raise busy_error(exc) from exc
            raise
        self._session = session
        read_only = self._read_only
        self._menu = SqlAlchemyMenuRepository(session, read_only=read_only)
        self._new_events.forget()
        self._orders = self._new_events.track(
            SqlAlchemyOrderRepository(session, read_only=read_only)
        )
        self._payments = self._new_events.track(
            SqlAlchemyPaymentRepository(session, read_only=read_only)
        )
        self._inbox = SqlAlchemyNotificationInbox(session, read_only=read_only)
        self._audit = SqlAlchemyAuditLog(session, read_only=read_only)
        self._outbox = SqlAlchemyOutbox(session, read_only=read_only)
        self._staff = SqlAlchemyStaffRepository(session, read_only=read_only)
        self._staff_sessions = SqlAlchemyStaffSessionRepository(session, read_only=read_only)
        self._login_throttle = SqlAlchemyLoginThrottleRepository(session, read_only=read_only)
        self._shifts = self._new_events.track(
            SqlAlchemyShiftRepository(session, read_only=read_only)
        )
        self._refunds = self._new_events.track(
            SqlAlchemyRefundRepository(session, read_only=read_only)
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._session
        self._session = self._menu = self._orders = self._payments = self._inbox = None
        self._audit = self._outbox = None
        self._staff = self._staff_sessions = self._login_throttle = None
        self._shifts = self._refunds = None
        if session is None:
            return
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            try:
                await session.close()
            finally:
                self._release_gate()

    async def commit(self) -> None:
        try:
            await self._write_outbox()
        except BaseException:
            self._new_events.forget()
            raise
        try:
            await self._entered().commit()
        except DBAPIError as exc:
            self._new_events.forget()
            if is_busy(exc):
                raise busy_error(exc) from exc
            raise
        staged = self._new_events.collect_new_events()
        if self._publisher is not None and staged:
            await self._publisher.publish(staged)

    async def _write_outbox(self) -> None:
        """The new events into the outbox, in this transaction (application.outbox)."""
        if not self._read_only:
            await self._new_events.write_to(self.outbox, get_payment=self.payments.get)

    def record(self, event: DomainEvent) -> None:
        self._new_events.record(event)

    async def rollback(self) -> None:
        self._new_events.forget()
        await self._entered().rollback()

    def _entered(self) -> AsyncConnection:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session

    def _release_gate(self) -> None:
        if self._gate_held and self._write_gate is not None:
            self._gate_held = False
            self._write_gate.release()


def _entered(repository: R | None) -> R:
    if repository is None:
        raise RuntimeError("use the unit of work inside `async with`")
    return repository


class SqlAlchemyUnitOfWorkFactory:
    """Makes a fresh unit of work per transaction over one engine (one per process)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        events: EventPublisher | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.events = events  # where committed units of work publish their new events
        self.clock = clock or SystemClock()  # stamps the outbox events
        is_sqlite = engine.dialect.name == "sqlite"
        write_engine = (
            engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) if is_sqlite else engine
        )
        self._write_engine = write_engine
        # SQLite has one writer at a time: queue this process's writers here, fairly.
        self._write_gate = asyncio.Lock() if is_sqlite else None

    def __call__(self, *, read_only: bool = False) -> SqlAlchemyUnitOfWork:
        if read_only:
            return SqlAlchemyUnitOfWork(self.engine, read_only=True, clock=self.clock)
        return SqlAlchemyUnitOfWork(
            self._write_engine,
            read_only=False,
            write_gate=self._write_gate,
            events=self.events,
            clock=self.clock,
        )
