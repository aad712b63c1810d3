"""Racing writers of one order, on the real SQL adapter (PostgreSQL and SQLite): a QRIS start
against a cash payment or a cancel, and two confirmed gateway successes against a cash payment.

Every write that changes an order's money state locks the order's row first, then its
payments' rows. Each round pauses one side inside its transaction, right after its first read
of the order (or its first row lock), until every rival has finished or waits for a lock the
paused side holds; then all run on. Without the order lock in the QRIS start, the cash payment
commits during the pause and the attempt is inserted after it: a paid order with a live QR.
With the attempt locked before its order, a success and a cash payment wait for each other and
PostgreSQL ends one of them as a deadlock. Each side has its own engine, as two processes would.

On SQLite, BEGIN IMMEDIATE serializes the writers, so a rival waiting for the lock cannot be
seen; the pause then lasts a short grace. The rule must hold there too.
"""

import asyncio
import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum, auto
from functools import partial
from types import TracebackType
from typing import Any, Self, cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.events import InMemoryEventPublisher
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.errors import DatabaseBusy
from adapters.sqlalchemy.repositories import (
    SqlAlchemyOrderRepository,
    SqlAlchemyPaymentRepository,
)
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork, SqlAlchemyUnitOfWorkFactory
from adapters.system import SecureReferenceGenerator
from application.callers import Staff
from application.errors import ConcurrentUpdate, OrderPaid
from application.gateway import Customer
from application.gateways import Gateways
from application.reconciliation import AttemptOutcome, AttemptReconciler, Reconciled
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.pay_cash import PayCash
from application.use_cases.shifts import OpenShift
from application.use_cases.start_qris_payment import (
    StartedQrisPayment,
    StartQrisPayment,
    StartQrisPaymentCommand,
)
from domain.errors import OrderNotPayable
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import OPEN_STATUSES, Payment, PaymentMethod, PaymentStatus
from entrypoints.http.errors import ErrorBody, application_error_handler

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
ROUNDS = 30
SUCCESS_ROUNDS = 20
ROUND_TIMEOUT = 15.0
RIVALS_TIMEOUT = 3.0  # a rival neither finished nor seen waiting by then: run on anyway
SQLITE_GRACE = 0.05  # SQLite's waiting writers cannot be seen: let them queue for this long
POLL = 0.002
CUSTOMER = Customer(name="Budi", email="budi@example.test")
STAFF = "alice"

_LOCK_WAITERS = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


class Trigger(Enum):
    ORDER_READ = auto()  # the transaction's first read of an order, locking or not
    ROW_LOCK = auto()  # the transaction's first locking read of an order or a payment


@dataclass
class Pause:
    """Holds the first matching read of an armed round until every rival finished or waits
    for a lock (counted on PostgreSQL; on SQLite, for a short grace)."""

    lock_waiters: Callable[[], Awaitable[int]] | None
    trigger: Trigger = Trigger.ORDER_READ
    skip: int = 0
    armed: bool = False
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    rivals: builtins.list[asyncio.Task[Any]] = field(default_factory=list)
    rivals_started: asyncio.Event = field(default_factory=asyncio.Event)
    released: builtins.list[str] = field(default_factory=list)  # why each pause ended

    def arm(self, trigger: Trigger, *, skip: int = 0) -> None:
        """Hold the matching read after the first `skip` ones."""
        self.trigger = trigger
        self.skip = skip
        self.armed = True
        self.reached = asyncio.Event()
        self.rivals = []
        self.rivals_started = asyncio.Event()

    def start_rivals(self, rivals: Sequence[Callable[[], Awaitable[Any]]]) -> None:
        self.rivals = [asyncio.create_task(outcome_of(rival)) for rival in rivals]
        self.rivals_started.set()

    async def after_read(self, *, order: bool, for_update: bool) -> None:
        matches = order if self.trigger is Trigger.ORDER_READ else for_update
        if not (self.armed and matches):
            return
        if self.skip:
            self.skip -= 1
            return
        self.armed = False
        self.reached.set()
        await self.rivals_started.wait()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (RIVALS_TIMEOUT if self.lock_waiters else SQLITE_GRACE)
        while loop.time() < deadline:
            await asyncio.sleep(POLL)
            finished = sum(rival.done() for rival in self.rivals)
            if finished == len(self.rivals):
                self.released.append("finished")
                return
            waiting = await self.lock_waiters() if self.lock_waiters else 0
            if waiting and finished + waiting >= len(self.rivals):
                self.released.append(f"{waiting} waiting")
                return
        self.released.append("timeout")


class PausingOrders(SqlAlchemyOrderRepository):
    def __init__(self, session: AsyncConnection, pause: Pause) -> None:
        super().__init__(session)
        self._pause = pause

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        order = await super().get(order_id, for_update=for_update)
        await self._pause.after_read(order=True, for_update=for_update)
        return order


class PausingPayments(SqlAlchemyPaymentRepository):
    def __init__(self, session: AsyncConnection, pause: Pause) -> None:
        super().__init__(session)
        self._pause = pause

    async def get(self, attempt_id: str, *, for_update: bool = False) -> Payment | None:
        payment = await super().get(attempt_id, for_update=for_update)
        await self._pause.after_read(order=False, for_update=for_update)
        return payment


class RaceUnitOfWork(SqlAlchemyUnitOfWork):
    """The SQL unit of work with pausing repositories; notes every DatabaseBusy it ends with
    (a deadlock on PostgreSQL), which the use cases would otherwise retry unseen."""

    def __init__(self, factory: "RaceUnitOfWorkFactory") -> None:
        super().__init__(factory.write_engine, write_gate=factory.write_gate)
        self._factory = factory

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self._orders = PausingOrders(self.session, self._factory.pause)
        self._payments = PausingPayments(self.session, self._factory.pause)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, DatabaseBusy):
            self._factory.busy.append(exc)
        await super().__aexit__(exc_type, exc, tb)


class RaceUnitOfWorkFactory(SqlAlchemyUnitOfWorkFactory):
    """One "process": its own engine; its write units of work pause and record."""

    def __init__(self, engine: AsyncEngine, pause: Pause, busy: list[DatabaseBusy]) -> None:
        super().__init__(engine)
        self.pause = pause
        self.busy = busy

    @property
    def write_engine(self) -> AsyncEngine:
        return self._write_engine

    @property
    def write_gate(self) -> asyncio.Lock | None:
        return self._write_gate

    def __call__(self, *, read_only: bool = False) -> SqlAlchemyUnitOfWork:
        if read_only:
            return SqlAlchemyUnitOfWork(self.engine, read_only=True)
        return RaceUnitOfWork(self)


@dataclass(frozen=True)
class Failed:
    error: Exception


async def outcome_of(action: Callable[[], Awaitable[Any]]) -> Any:
    """What `action` returned, or the error it raised (as Failed)."""
    try:
        return await action()
    except Exception as error:
        return Failed(error)


@dataclass
class Kasir:
    """Two kasir "processes" on one database, each with its own engine and use cases."""

    one: RaceUnitOfWorkFactory
    two: RaceUnitOfWorkFactory
    pause: Pause
    busy: list[DatabaseBusy]
    gateway: FakePaymentGateway = field(default_factory=FakePaymentGateway)
    clock: SettableClock = field(default_factory=lambda: SettableClock(NOW))
    events: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)

    def start_qris(self, factory: RaceUnitOfWorkFactory) -> StartQrisPayment:
        return StartQrisPayment(
            uow=factory,
            gateways=Gateways.only(self.gateway),
            clock=self.clock,
            references=SecureReferenceGenerator(),
            reconciler=self.reconciler(factory),
        )

    def reconciler(self, factory: RaceUnitOfWorkFactory) -> AttemptReconciler:
        # Every confirmation is applied: this is about the writes, not the polling budget.
        return AttemptReconciler(
            uow=factory,
            gateways=Gateways.only(self.gateway),
            clock=self.clock,
            events=self.events,
            min_check_interval=timedelta(0),
        )

    def pay_cash(
        self, factory: RaceUnitOfWorkFactory, gateway: FakePaymentGateway | None = None
    ) -> PayCash:
        """Cash at the till, which first asks `gateway` (by default the one that issued the
        QRs) whether the order's open QR was just paid."""
        gateway = gateway or self.gateway
        return PayCash(
            uow=factory,
            clock=self.clock,
            references=SecureReferenceGenerator(),
            gateways=Gateways.only(gateway),
            reconciler=AttemptReconciler(
                uow=factory,
                gateways=Gateways.only(gateway),
                clock=self.clock,
                events=self.events,
                min_check_interval=timedelta(0),
            ),
        )

    async def placed_order(self) -> Order:
        item = MenuItem.create(name="Nasi goreng", price=25_000)
        async with self.one() as uow:
            await uow.menu.add(item)
            order = Order.place(items=[(item, 2)], access_token_hash="h", now=NOW)
            await uow.orders.add(order)
            await uow.commit()
        return order

    async def stored(self, order_id: int) -> tuple[Order, list[Payment]]:
        async with self.one(read_only=True) as uow:
            order = await uow.orders.get(order_id)
            payments = await uow.payments.list_for_order(order_id)
        assert order is not None
        return order, payments

    async def race(
        self,
        trigger: Trigger,
        paused: Callable[[], Awaitable[Any]],
        *rivals: Callable[[], Awaitable[Any]],
        skip: int = 0,
    ) -> list[Any]:
        """Run `paused` up to its trigger (past `skip` earlier matches), then the rivals; the
        outcomes in that order."""
        self.pause.arm(trigger, skip=skip)
        async with asyncio.timeout(ROUND_TIMEOUT):
            first = asyncio.create_task(outcome_of(paused))
            reached = asyncio.create_task(self.pause.reached.wait())
            await asyncio.wait({first, reached}, return_when=asyncio.FIRST_COMPLETED)
            reached.cancel()
            self.pause.armed = False
            self.pause.start_rivals(rivals)
            return [await first, *[await rival for rival in self.pause.rivals]]


def money_invariants(order: Order, payments: list[Payment]) -> list[str]:
    """What must hold for an order after any race; the broken rules, or none."""
    broken = []
    open_qris = [
        p for p in payments if p.method is PaymentMethod.QRIS and p.status in OPEN_STATUSES
    ]
    if order.status is not OrderStatus.AWAITING_PAYMENT and open_qris:
        shown = [(p.attempt_id, p.status.value, p.qr_string is not None) for p in open_qris]
        broken.append(f"order {order.status.value} with open QRIS attempts {shown}")
    paying = [
        p for p in payments if p.status is PaymentStatus.SUCCEEDED and p.refund_required_at is None
    ]
    if len(paying) > 1:
        broken.append(f"paid {len(paying)} times: {[p.attempt_id for p in paying]}")
    if order.status is OrderStatus.PAID and [p.attempt_id for p in paying] != [
        order.paid_by_attempt
    ]:
        broken.append(
            f"paid by {order.paid_by_attempt}, succeeded {[p.attempt_id for p in paying]}"
        )
    if order.status is not OrderStatus.PAID and paying:
        broken.append(f"order {order.status.value} kept a payment without a refund to make")
    if any(p.amount != order.total for p in paying):
        broken.append("a payment does not cover the order total")
    return broken


@pytest.fixture
async def kasir(sql_engine: AsyncEngine) -> AsyncIterator[Kasir]:
    url = sql_engine.url.render_as_string(hide_password=False)
    second = create_engine_for(url)
    monitor: AsyncConnection | None = None
    lock_waiters: Callable[[], Awaitable[int]] | None = None
    if sql_engine.dialect.name == "postgresql":
        monitor = await sql_engine.connect()
        # Autocommit: a transaction would keep showing the first snapshot of pg_stat_activity.
        await monitor.execution_options(isolation_level="AUTOCOMMIT")
        connection = monitor

        async def count_waiters() -> int:
            return int((await connection.execute(_LOCK_WAITERS)).scalar_one())

        lock_waiters = count_waiters
    pause = Pause(lock_waiters)
    busy: list[DatabaseBusy] = []
    try:
        kasir = Kasir(
            one=RaceUnitOfWorkFactory(sql_engine, pause, busy),
            two=RaceUnitOfWorkFactory(second, pause, busy),
            pause=pause,
            busy=busy,
        )
        # The till's drawer: cash goes into the staff member's open shift.
        await OpenShift(kasir.one, kasir.clock).execute(opening_float=0, caller=Staff(STAFF))
        yield kasir
    finally:
        if monitor is not None:
            await monitor.close()
        await second.dispose()


def brief(outcome: Any) -> str:
    """An outcome in a few words, for a failing round's message."""
    if isinstance(outcome, Failed):
        return f"{type(outcome.error).__name__}({outcome.error})"
    if isinstance(outcome, StartedQrisPayment):
        outcome = outcome.payment
    if isinstance(outcome, Payment):
        return f"{outcome.method.value} {outcome.status.value}"
    if isinstance(outcome, Order):
        return f"order {outcome.status.value}"
    if isinstance(outcome, Reconciled):
        return outcome.outcome.value
    return str(outcome)


def assert_every_pause_saw_its_rivals(kasir: Kasir) -> None:
    """On PostgreSQL each pause must end because the rivals finished or were seen waiting for
    a lock, never by its timeout: else the rounds would not have raced as designed."""
    if kasir.pause.lock_waiters is not None:
        assert "timeout" not in kasir.pause.released, kasir.pause.released


def refused(outcome: Any, kind: type[Exception]) -> bool:
    return isinstance(outcome, Failed) and isinstance(outcome.error, kind)


def unexpected(outcomes: list[Any], *expected_errors: type[Exception]) -> list[Any]:
    return [
        o.error
        for o in outcomes
        if isinstance(o, Failed) and not isinstance(o.error, expected_errors)
    ]


@pytest.mark.parametrize("settle", ["cash", "cancel"])
async def test_a_qris_start_racing_cash_or_a_cancel_never_leaves_a_live_qr_on_a_settled_order(
    kasir: Kasir, settle: str
) -> None:
    qris_paused = 0
    for round_ in range(ROUNDS):
        order = await kasir.placed_order()
        command = StartQrisPaymentCommand(order_id=order.key, amount=order.total, customer=CUSTOMER)
        # Alternate which "process" starts the QR and which side is held after its read.
        qris_side, settle_side = (kasir.one, kasir.two) if round_ % 2 else (kasir.two, kasir.one)

        qris = partial(kasir.start_qris(qris_side).execute, command, caller=Staff(STAFF))
        settle_order = (
            partial(
                kasir.pay_cash(settle_side).execute,
                order.key,
                tendered=order.total,
                caller=Staff(STAFF),
            )
            if settle == "cash"
            else partial(
                CancelOrder(
                    uow=settle_side, clock=kasir.clock, gateways=Gateways.only(kasir.gateway)
                ).execute,
                order.key,
                reason="the table left",
                caller=Staff(STAFF),
            )
        )

        if round_ % 3 == 2:
            # Every third round the settling side reads first. The till's first transaction
            # only takes the status-check budget of an open QR: hold the one that takes cash.
            settled, started = await kasir.race(
                Trigger.ORDER_READ, settle_order, qris, skip=1 if settle == "cash" else 0
            )
        else:
            qris_paused += 1
            started, settled = await kasir.race(Trigger.ORDER_READ, qris, settle_order)

        stored, payments = await kasir.stored(order.key)
        context = f"round {round_}: start {brief(started)}, {settle} {brief(settled)}"
        assert not unexpected([started, settled], OrderNotPayable), context
        assert not isinstance(settled, Failed), context
        assert stored.status is (OrderStatus.PAID if settle == "cash" else OrderStatus.CANCELLED)
        assert money_invariants(stored, payments) == [], context
        assert kasir.busy == [], context  # a deadlock, retried unseen by the callers
        if refused(started, OrderNotPayable):
            assert [p.method for p in payments] == (
                [PaymentMethod.CASH] if settle == "cash" else []
            )
    assert qris_paused >= ROUNDS // 2
    assert_every_pause_saw_its_rivals(kasir)


async def test_two_confirmed_successes_racing_cash_pay_the_order_once_and_never_deadlock(
    kasir: Kasir,
) -> None:
    for round_ in range(SUCCESS_ROUNDS):
        order = await kasir.placed_order()
        started = await kasir.start_qris(kasir.one).execute(
            StartQrisPaymentCommand(order_id=order.key, amount=order.total, customer=CUSTOMER),
            caller=Staff(STAFF),
        )
        attempt = started.payment
        assert attempt.status is PaymentStatus.PENDING
        kasir.gateway.pay(attempt.attempt_id)  # the customer paid the QR; two callbacks come

        # The till asks the gateway before taking cash: in half the rounds it hears that the QR
        # was paid (and refuses the cash unless a callback was first), in the others it hears
        # nothing of it (a gateway that does not know it yet), takes the cash, and the
        # callbacks' success is then a refund to make.
        till_hears_paid = round_ % 4 < 2
        till = kasir.pay_cash(kasir.two, None if till_hears_paid else FakePaymentGateway())
        cash = partial(till.execute, order.key, tendered=order.total, caller=Staff(STAFF))
        first_success = partial(kasir.reconciler(kasir.one).check, attempt.attempt_id)
        second_success = partial(kasir.reconciler(kasir.two).check, attempt.attempt_id)

        # Held after its first row lock, a success in even rounds; in odd ones the till, after
        # its second: the order lock of the transaction that takes the cash or applies the
        # success it heard of (the first only takes the status-check budget).
        if round_ % 2:
            paid_cash, *checked = await kasir.race(
                Trigger.ROW_LOCK, cash, first_success, second_success, skip=1
            )
        else:
            first, paid_cash, second = await kasir.race(
                Trigger.ROW_LOCK, first_success, cash, second_success
            )
            checked = [first, second]

        stored, payments = await kasir.stored(order.key)
        context = (
            f"round {round_}: cash {brief(paid_cash)}, successes {[brief(c) for c in checked]}"
            f", database busy {kasir.busy}"
        )
        assert kasir.busy == [], context  # a deadlock, retried unseen by the callers
        assert not unexpected([paid_cash, *checked], OrderNotPayable, OrderPaid), context
        assert not any(isinstance(c, Failed) for c in checked), context
        assert money_invariants(stored, payments) == [], context
        assert stored.status is OrderStatus.PAID, context
        [qris] = [p for p in payments if p.attempt_id == attempt.attempt_id]
        assert qris.status is PaymentStatus.SUCCEEDED, context  # the money is never dropped
        # The success is applied once: by one callback, or by the till that heard of it.
        applied = [c.outcome for c in checked if c.outcome is not AttemptOutcome.ALREADY_SETTLED]
        assert len(applied) + refused(paid_cash, OrderPaid) == 1, context
        if isinstance(paid_cash, Failed):
            assert applied in ([], [AttemptOutcome.ORDER_PAID]), context
            assert stored.paid_by_attempt == attempt.attempt_id, context
        else:
            # Cash came first: the late success is a refund to make.
            assert applied == [AttemptOutcome.REFUND_REQUIRED], context
            assert qris.refund_required_at is not None, context
    assert_every_pause_saw_its_rivals(kasir)


@pytest.mark.postgres
async def test_a_deadlock_on_postgres_is_a_retryable_database_busy_answer_never_a_500(
    postgres_engine: AsyncEngine,
) -> None:
    """Were two writers ever to lock an order and its payment in opposite orders, PostgreSQL
    would end one of them: that must reach the caller as a retryable 503, not a 500."""
    factory = SqlAlchemyUnitOfWorkFactory(postgres_engine)
    item = MenuItem.create(name="Nasi goreng", price=25_000)
    async with factory() as uow:
        await uow.menu.add(item)
        order = Order.place(items=[(item, 1)], access_token_hash="h", now=NOW)
        await uow.orders.add(order)
        await uow.payments.add(Payment.start_qris(order=order, attempt_id="KSR-lock", now=NOW))
        await uow.commit()
    both_hold_one = asyncio.Barrier(2)

    async def lock(order_first: bool) -> None:
        async with factory() as uow:
            await uow.session.execute(text("SET LOCAL deadlock_timeout = '20ms'"))
            steps: list[Callable[[], Awaitable[object]]] = [
                partial(uow.orders.get, order.key, for_update=True),
                partial(uow.payments.get, "KSR-lock", for_update=True),
            ]
            first, second = steps if order_first else steps[::-1]
            await first()
            await both_hold_one.wait()
            await second()
            await uow.commit()

    async with asyncio.timeout(ROUND_TIMEOUT):
        outcomes = await asyncio.gather(lock(True), lock(False), return_exceptions=True)

    [busy] = [outcome for outcome in outcomes if outcome is not None]
    assert isinstance(busy, DatabaseBusy), outcomes
    assert isinstance(busy, ConcurrentUpdate)  # so retry_on_conflict runs the work again
    answer = application_error_handler(cast(Any, None), busy)
    assert answer.status_code == 503
    assert isinstance(answer.content, ErrorBody)
    assert answer.content.error.code == "database_busy"
    assert answer.headers["Retry-After"] == "5"
