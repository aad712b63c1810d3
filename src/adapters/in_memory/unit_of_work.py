"""An in-memory unit of work: staged writes reach the store on commit, never otherwise."""

from types import TracebackType
from typing import Any, Self, TypeVar

from adapters.in_memory.audit import InMemoryAuditLog
from adapters.in_memory.drawer import InMemoryRefundRepository, InMemoryShiftRepository
from adapters.in_memory.outbox import InMemoryOutbox
from adapters.in_memory.repositories import (
    InMemoryMenuRepository,
    InMemoryNotificationInbox,
    InMemoryOrderRepository,
    InMemoryPaymentRepository,
    RowLocks,
)
from adapters.in_memory.staff import (
    InMemoryLoginThrottleRepository,
    InMemoryStaffRepository,
    InMemoryStaffSessionRepository,
    Staged,
)
from adapters.in_memory.store import Bookkeeping, InMemoryStore
from adapters.system import SystemClock, new_event_id
from application.events import NewEvents
from application.ports import Clock, EventPublisher
from domain.events import DomainEvent

R = TypeVar("R")


class InMemoryUnitOfWork:
    """One transaction over an InMemoryStore.

    A write unit of work holds the store's writer lock from enter to exit, which gives the
    same serial order of writers that BEGIN IMMEDIATE gives on SQLite.
    """

    def __init__(
        self,
        store: InMemoryStore,
        *,
        read_only: bool = False,
        events: EventPublisher | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._publisher = events
        self._new_events = NewEvents(clock or SystemClock(), new_event_id)
        self._read_only = read_only
        self._locked = False
        self.committed = False
        self._menu: InMemoryMenuRepository | None = None
        self._orders: InMemoryOrderRepository | None = None
        self._payments: InMemoryPaymentRepository | None = None
        self._inbox: InMemoryNotificationInbox | None = None
        self._audit: InMemoryAuditLog | None = None
        self._outbox: InMemoryOutbox | None = None
        self._staff: InMemoryStaffRepository | None = None
        self._staff_sessions: InMemoryStaffSessionRepository | None = None
        self._login_throttle: InMemoryLoginThrottleRepository | None = None
        self._shifts: InMemoryShiftRepository | None = None
        self._refunds: InMemoryRefundRepository | None = None

    @property
    def menu(self) -> InMemoryMenuRepository:
        return _entered(self._menu)

    @property
    def orders(self) -> InMemoryOrderRepository:
        return _entered(self._orders)

    @property
    def payments(self) -> InMemoryPaymentRepository:
        return _entered(self._payments)

    @property
    def inbox(self) -> InMemoryNotificationInbox:
        return _entered(self._inbox)

    @property
    def audit(self) -> InMemoryAuditLog:
        return _entered(self._audit)

    @property
    def outbox(self) -> InMemoryOutbox:
        return _entered(self._outbox)

    @property
    def staff(self) -> InMemoryStaffRepository:
        return _entered(self._staff)

    @property
    def staff_sessions(self) -> InMemoryStaffSessionRepository:
        return _entered(self._staff_sessions)

    @property
    def login_throttle(self) -> InMemoryLoginThrottleRepository:
        return _entered(self._login_throttle)

    @property
    def shifts(self) -> InMemoryShiftRepository:
        return _entered(self._shifts)

    @property
    def refunds(self) -> InMemoryRefundRepository:
        return _entered(self._refunds)

    async def __aenter__(self) -> Self:
        if not self._read_only:
            await self._store.write_lock.acquire()
            self._locked = True
        self.committed = False
        self._menu = InMemoryMenuRepository(self._store, read_only=self._read_only)
        locks = RowLocks()
        self._orders = self._new_events.track(
            InMemoryOrderRepository(self._store, read_only=self._read_only, locks=locks)
        )
        self._payments = self._new_events.track(
            InMemoryPaymentRepository(
                self._store, read_only=self._read_only, orders=self._orders, locks=locks
            )
        )
        self._orders.payments = self._payments
        self._inbox = InMemoryNotificationInbox(
            self._store, read_only=self._read_only, payments=self._payments
        )
        self._audit = InMemoryAuditLog(self._store, read_only=self._read_only)
        self._outbox = InMemoryOutbox(self._store, read_only=self._read_only, orders=self._orders)
        self._staff = InMemoryStaffRepository(self._store, read_only=self._read_only)
        self._staff_sessions = InMemoryStaffSessionRepository(
            self._store, read_only=self._read_only
        )
        self._login_throttle = InMemoryLoginThrottleRepository(
            self._store, read_only=self._read_only
        )
        self._shifts = self._new_events.track(
            InMemoryShiftRepository(self._store, read_only=self._read_only)
        )
        self._refunds = self._new_events.track(
            InMemoryRefundRepository(self._store, read_only=self._read_only)
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self.committed:
                await self.rollback()
        finally:
            self._menu = self._orders = self._payments = self._inbox = self._audit = None
            self._outbox = None
            self._staff = self._staff_sessions = self._login_throttle = None
            self._shifts = self._refunds = None
            if self._locked:
                self._locked = False
                self._store.write_lock.release()

    async def commit(self) -> None:
        try:
            await self._write_outbox()
        except BaseException:
            await self.rollback()
            raise
        self._store.menu.update(self.menu.staged)
        self._store.orders.update(self.orders.staged)
        self._store.payments.update(self.payments.staged)
        self._store.inbox.update(self.inbox.staged)
        self._store.shifts.update(self.shifts.staged)
        self._store.movements.extend(self.shifts.staged_movements)
        self._store.refunds.update(self.refunds.staged)
        for entry_id in self.inbox.deleted:
            self._store.inbox.pop(entry_id, None)
        self._store.status_checked_at.update(self.payments.staged_checks)
        self.audit.commit()
        self.outbox.commit()
        for table in self._staff_tables():
            table.apply()
        for attempt_id, changes in self.payments.staged_bookkeeping.items():
            entry = self._store.bookkeeping.setdefault(attempt_id, Bookkeeping())
            for name, value in changes.items():
                setattr(entry, name, value)
        staged = self._new_events.collect_new_events()
        await self.rollback()
        self.committed = True
        if self._publisher is not None and staged:
            await self._publisher.publish(staged)

    async def _write_outbox(self) -> None:
        """The new events into the outbox, staged with this unit of work (application.outbox)."""
        if not self._read_only:
            await self._new_events.write_to(self.outbox, get_payment=self.payments.get)

    def record(self, event: DomainEvent) -> None:
        self._new_events.record(event)

    async def rollback(self) -> None:
        self._new_events.forget()
        for repository in (
            self.menu,
            self.orders,
            self.payments,
            self.inbox,
            self.shifts,
            self.refunds,
        ):
            repository.staged.clear()
        self.shifts.staged_movements.clear()
        self.inbox.deleted.clear()
        for table in self._staff_tables():
            table.writes.clear()
        self.payments.staged_checks.clear()
        self.payments.staged_bookkeeping.clear()
        self.audit.staged.clear()
        self.outbox.staged.clear()

    def _staff_tables(self) -> tuple[Staged[Any, Any], ...]:
        return (self.staff.table, self.staff_sessions.table, self.login_throttle.table)


class InMemoryUnitOfWorkFactory:
    """Makes units of work over one shared store (a whole in-memory database)."""

    def __init__(
        self,
        store: InMemoryStore | None = None,
        *,
        events: EventPublisher | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store or InMemoryStore()
        self.events = events  # where committed units of work publish their new events
        self.clock = clock or SystemClock()  # stamps the outbox events

    def __call__(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(
            self.store, read_only=read_only, events=self.events, clock=self.clock
        )


def _entered(repository: R | None) -> R:
    if repository is None:
        raise RuntimeError("use the unit of work inside `async with`")
    return repository
