"""kasir on in-memory fakes: the real use cases wired to the adapters/in_memory fakes, with a
few helpers to drive and inspect them.

An importable module (not a conftest) so that any test, a benchmark or a REPL can build the
application without the HTTP layer or a database: `Kasir()` is one application over one
in-memory store. It lives under tests/ because nothing in production may use it; the unit
tests' fixtures (tests/unit/application/conftest.py) hand it out.

Its `pause` takes no real time (other tasks run once, as during a real pause), so a use case
that polls (a duplicate notification waiting for another process's status check) never waits
seconds of wall-clock time in a unit test.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Self, TypeVar
from zoneinfo import ZoneInfo

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.events import InMemoryEventPublisher
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.in_memory.reconciliation_queue import InMemoryReconciliationQueue
from adapters.in_memory.reports import InMemoryReceiptPrints, InMemoryReportQueries
from adapters.in_memory.repositories import (
    InMemoryOrderRepository,
    InMemoryPaymentRepository,
    RowLocks,
)
from adapters.in_memory.store import InMemoryStore
from adapters.in_memory.unit_of_work import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory
from adapters.wakeups import LocalWakeups
from application.callers import Staff
from application.gateway import Customer
from application.gateways import Gateways
from application.receipts import Restaurant
from application.reconciliation import AttemptReconciler
from application.scheduled_checks import ScheduledChecks
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.get_order import GetOrder, ListOrders
from application.use_cases.get_payment import GetPayment
from application.use_cases.handle_payment_notification import HandlePaymentNotification
from application.use_cases.manage_menu import AddMenuItem, ListMenuItems, UpdateMenuItem
from application.use_cases.notification_inbox import ListNotifications
from application.use_cases.pay_cash import PayCash
from application.use_cases.place_order import (
    OrderItemRequest,
    PlaceOrder,
    PlaceOrderCommand,
)
from application.use_cases.receipts import GetReceipt
from application.use_cases.refund_requests import ApproveRefund, RejectRefund, RequestRefund
from application.use_cases.refunds import ListRefunds, ResolveRefund
from application.use_cases.reports import GetDayReport
from application.use_cases.resolve_payment_review import ResolvePaymentReview
from application.use_cases.run_reconciliation import ListPaymentsNeedingReview, RunReconciliation
from application.use_cases.shifts import (
    CloseShift,
    CurrentShift,
    GetShiftReport,
    OpenShift,
    RecordCashMovement,
)
from application.use_cases.start_qris_payment import (
    StartedQrisPayment,
    StartQrisPayment,
    StartQrisPaymentCommand,
)
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment
from domain.shifts import Shift
from entrypoints import gateways

E = TypeVar("E")

# The restaurant the receipts and reports name (Jakarta's zone, UTC+7 all year).
RESTAURANT = Restaurant(
    name="Warung Sari",
    address="Jl. Sabang No. 12, Jakarta",
    zone=ZoneInfo("Asia/Jakarta"),
    zone_name="Asia/Jakarta",
)
STAFF = Staff("staff:sari")  # who starts QRIS payments in these tests (staff may, for any order)
CUSTOMER = Customer(name="Budi Santoso", email="budi@example.test", phone="081234567890")


async def no_pause(seconds: float) -> None:
    """A pause of no real time: every other ready task runs once, as during a real pause."""
    await asyncio.sleep(0)


class StorageFailure(Exception):
    """A write the storage could not make (disk full, connection lost)."""


class SequentialReferences:
    """Predictable merchant order ids and access tokens, so tests can name them."""

    def __init__(self) -> None:
        self.uids = 0
        self.tokens = 0

    def new_attempt_id(self) -> str:
        self.uids += 1
        return f"KSR-TEST-{self.uids:04d}"

    def new_access_token(self) -> str:
        self.tokens += 1
        return f"secret-access-token-{self.tokens:04d}"


@dataclass(frozen=True, slots=True)
class Commit:
    """What one committed unit of work wrote: the keys of the rows it staged."""

    menu: frozenset[int]
    orders: frozenset[int]
    payments: frozenset[str]

    @property
    def wrote_business_rows(self) -> bool:
        """Menu, orders or payments (not the notification inbox or status-check stamps)."""
        return bool(self.menu or self.orders or self.payments)


class _OrderWriteFails(InMemoryOrderRepository):
    async def update(self, order: Order) -> None:
        raise StorageFailure(f"order {order.id} could not be written")


class RecordingUnitOfWork(InMemoryUnitOfWork):
    """The in-memory unit of work, plus a record of each commit and two test knobs."""

    def __init__(
        self, store: InMemoryStore, *, read_only: bool, factory: RecordingUnitOfWorkFactory
    ) -> None:
        super().__init__(store, read_only=read_only, events=factory.events)
        self._factory = factory

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        if self._factory.order_writes_fail:
            locks = RowLocks()
            self._orders = self._new_events.track(
                _OrderWriteFails(self._store, read_only=self._read_only, locks=locks)
            )
            self._payments = self._new_events.track(
                InMemoryPaymentRepository(
                    self._store, read_only=self._read_only, orders=self._orders, locks=locks
                )
            )
        if self._factory.interleave:
            await asyncio.sleep(0)  # let every other task run while this one holds its lock
        return self

    async def commit(self) -> None:
        if self._factory.interleave:
            await asyncio.sleep(0)
        self._factory.commits.append(
            Commit(
                menu=frozenset(self.menu.staged),
                orders=frozenset(self.orders.staged),
                payments=frozenset(self.payments.staged),
            )
        )
        await super().commit()


class RecordingUnitOfWorkFactory(InMemoryUnitOfWorkFactory):
    """Units of work over one store that record their commits.

    `order_writes_fail` makes every `orders.update` raise StorageFailure; `interleave` makes
    units of work yield to other tasks while they hold the writer lock.
    """

    def __init__(self, store: InMemoryStore | None = None) -> None:
        super().__init__(store)
        self.commits: list[Commit] = []
        self.order_writes_fail = False
        self.interleave = False

    def __call__(self, *, read_only: bool = False) -> RecordingUnitOfWork:
        return RecordingUnitOfWork(self.store, read_only=read_only, factory=self)


@dataclass(frozen=True, slots=True)
class StoreSnapshot:
    """A deep copy of every committed row, to prove that nothing was written."""

    menu: dict[int, MenuItem]
    orders: dict[int, Order]
    payments: dict[str, Payment]


@dataclass(frozen=True, slots=True)
class Menu:
    nasi_goreng: MenuItem  # 25 000
    es_teh: MenuItem  # 5 000


@dataclass
class Kasir:
    """The application on in-memory fakes. Use cases are built on each access, so a test may
    swap `gateway` (or `uow`) first and every use case then uses the new one."""

    uow: RecordingUnitOfWorkFactory = field(default_factory=RecordingUnitOfWorkFactory)
    clock: SettableClock = field(default_factory=SettableClock)
    # Notifications are verified by the production Duitku verifier, never by the fake.
    gateway: FakePaymentGateway = field(default_factory=gateways.fake_gateway)
    events: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    references: SequentialReferences = field(default_factory=SequentialReferences)
    creating_grace: timedelta = timedelta(seconds=30)
    min_check_interval: timedelta = timedelta(seconds=30)
    alarm: LocalWakeups = field(default_factory=LocalWakeups)
    receipt_prints: InMemoryReceiptPrints = field(default_factory=InMemoryReceiptPrints)
    # How the use cases pause (a duplicate notification polling for another process's check).
    # A test racing real tasks against each other in time sets `asyncio.sleep`.
    pause: Callable[[float], Awaitable[None]] = no_pause
    _reconciler: AttemptReconciler | None = field(default=None, init=False, repr=False)
    _queue: InMemoryReconciliationQueue | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.uow.events = self.events  # committed units of work publish here

    # --- use cases -----------------------------------------------------------------------
    @property
    def reconciler(self) -> AttemptReconciler:
        """One reconciler shared by every use case, as the container shares its in-process
        state; rebuilt only when a test swapped what it is made of."""
        current = self._reconciler
        if (
            current is None
            or current.gateways.issuing is not self.gateway
            or current.uow is not self.uow
            or current.min_check_interval != self.min_check_interval
        ):
            current = AttemptReconciler(
                self.uow,
                Gateways.only(self.gateway),
                self.clock,
                self.events,
                min_check_interval=self.min_check_interval,
            )
            self._reconciler = current
        return current

    @property
    def queue(self) -> InMemoryReconciliationQueue:
        """The job's queue over this store (its bookkeeping lives in the store)."""
        if self._queue is None:
            self._queue = InMemoryReconciliationQueue(self.store)
        return self._queue

    @property
    def scheduled_checks(self) -> ScheduledChecks:
        return ScheduledChecks(self.queue, self.alarm, self.clock)

    @property
    def add_menu_item(self) -> AddMenuItem:
        return AddMenuItem(self.uow, self.clock)

    @property
    def update_menu_item(self) -> UpdateMenuItem:
        return UpdateMenuItem(self.uow, self.clock)

    @property
    def list_menu_items(self) -> ListMenuItems:
        return ListMenuItems(self.uow)

    @property
    def place_order(self) -> PlaceOrder:
        return PlaceOrder(self.uow, self.clock, self.references)

    @property
    def cancel_order(self) -> CancelOrder:
        return CancelOrder(self.uow, self.clock, Gateways.only(self.gateway))

    @property
    def start_qris_payment(self) -> StartQrisPayment:
        return StartQrisPayment(
            self.uow,
            Gateways.only(self.gateway),
            self.clock,
            self.references,
            self.reconciler,
            creating_grace=self.creating_grace,
        )

    @property
    def pay_cash(self) -> PayCash:
        return PayCash(
            self.uow,
            self.clock,
            self.references,
            Gateways.only(self.gateway),
            self.reconciler,
        )

    @property
    def open_shift(self) -> OpenShift:
        return OpenShift(self.uow, self.clock)

    @property
    def close_shift(self) -> CloseShift:
        return CloseShift(self.uow, self.clock)

    @property
    def record_cash_movement(self) -> RecordCashMovement:
        return RecordCashMovement(self.uow, self.clock)

    @property
    def get_shift_report(self) -> GetShiftReport:
        return GetShiftReport(self.uow)

    @property
    def current_shift(self) -> CurrentShift:
        return CurrentShift(self.uow)

    def request_refund(self, *, approval_threshold: int = 100_000) -> RequestRefund:
        return RequestRefund(self.uow, self.clock, approval_threshold)

    @property
    def approve_refund(self) -> ApproveRefund:
        return ApproveRefund(self.uow, self.clock)

    @property
    def reject_refund(self) -> RejectRefund:
        return RejectRefund(self.uow, self.clock)

    @property
    def handle_notification(self) -> HandlePaymentNotification:
        return HandlePaymentNotification(
            self.uow,
            Gateways.only(self.gateway),
            self.reconciler,
            self.clock,
            self.scheduled_checks,
            sleep=self.pause,
        )

    def handle_notification_in_another_process(self) -> HandlePaymentNotification:
        """A handler that shares the database and the gateway but no in-process state."""
        reconciler = AttemptReconciler(
            self.uow,
            Gateways.only(self.gateway),
            self.clock,
            self.events,
            min_check_interval=self.min_check_interval,
        )
        return HandlePaymentNotification(
            self.uow,
            Gateways.only(self.gateway),
            reconciler,
            self.clock,
            self.scheduled_checks,
            sleep=self.pause,
        )

    @property
    def run_reconciliation(self) -> RunReconciliation:
        """The reconciliation job (it also expires the attempts the gateway did not collect)."""
        return RunReconciliation(self.queue, self.reconciler, self.clock)

    @property
    def list_payments_needing_review(self) -> ListPaymentsNeedingReview:
        return ListPaymentsNeedingReview(self.queue)

    @property
    def resolve_payment_review(self) -> ResolvePaymentReview:
        return ResolvePaymentReview(self.uow, self.clock)

    @property
    def get_order(self) -> GetOrder:
        return GetOrder(self.uow)

    @property
    def list_orders(self) -> ListOrders:
        return ListOrders(self.uow, zone=RESTAURANT.zone)

    @property
    def get_receipt(self) -> GetReceipt:
        return GetReceipt(self.uow, self.receipt_prints, self.clock, RESTAURANT)

    @property
    def get_day_report(self) -> GetDayReport:
        return GetDayReport(InMemoryReportQueries(self.store), RESTAURANT, self.clock)

    @property
    def get_payment(self) -> GetPayment:
        return GetPayment(self.uow)

    @property
    def resolve_refund(self) -> ResolveRefund:
        return ResolveRefund(self.uow, self.clock)

    @property
    def list_refunds(self) -> ListRefunds:
        return ListRefunds(self.uow)

    @property
    def list_notifications(self) -> ListNotifications:
        return ListNotifications(self.uow)

    # --- driving -------------------------------------------------------------------------
    async def open_drawers(self, *staff: Staff, opening_float: int = 0) -> list[Shift]:
        """Open a shift for each staff member, so that they may take cash."""
        return [
            await self.open_shift.execute(opening_float=opening_float, caller=member)
            for member in staff
        ]

    async def place(self, *lines: tuple[MenuItem, int]) -> Order:
        command = PlaceOrderCommand(
            items=tuple(OrderItemRequest(item.id or 0, quantity) for item, quantity in lines),
            table_number="7",
        )
        return (await self.place_order.execute(command)).order

    async def start(self, order: Order, *, amount: int | None = None) -> StartedQrisPayment:
        return await self.start_qris_payment.execute(
            StartQrisPaymentCommand(
                order_id=order.key,
                amount=order.total if amount is None else amount,
                customer=CUSTOMER,
            ),
            caller=STAFF,
        )

    # --- inspecting (committed state only) -----------------------------------------------
    @property
    def store(self) -> InMemoryStore:
        return self.uow.store

    def order(self, order_id: int) -> Order:
        return self.store.orders[order_id]

    def payment(self, attempt_id: str) -> Payment:
        return self.store.payments[attempt_id]

    def payments_of(self, order_id: int) -> list[Payment]:
        found = [p for p in self.store.payments.values() if p.order_id == order_id]
        return sorted(found, key=lambda p: p.attempt_id)

    def snapshot(self) -> StoreSnapshot:
        return StoreSnapshot(
            menu=copy.deepcopy(self.store.menu),
            orders=copy.deepcopy(self.store.orders),
            payments=copy.deepcopy(self.store.payments),
        )

    def business_commits(self) -> list[Commit]:
        return [commit for commit in self.uow.commits if commit.wrote_business_rows]

    def published(self, kind: type[E]) -> list[E]:
        return self.events.of_type(kind)

    def forget_history(self) -> None:
        """Start counting events, gateway calls and commits afresh."""
        self.events.published.clear()
        self.gateway.create_requests.clear()
        self.gateway.status_checks.clear()
        self.uow.commits.clear()
