"""Money the gateway reports differently than kasir expected, through the real use cases on the
in-memory, SQLite and PostgreSQL adapters: another amount paid closes the attempt with a refund
to make and frees the order; a signed success the gateway contradicts is flagged and checked
again until a paid status settles it; refused status checks go to staff; staff resolve."""

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.events import InMemoryEventPublisher
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.in_memory.reconciliation_queue import InMemoryReconciliationQueue
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from adapters.sqlalchemy.reconciliation_queue import SqlAlchemyReconciliationQueue
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.wakeups import LocalWakeups
from application.callers import Staff
from application.errors import GatewayRejected
from application.gateway import Customer
from application.gateways import Gateways
from application.ports import ReconciliationQueue, UnitOfWorkFactory
from application.reconciliation import AttemptOutcome, AttemptReconciler
from application.reconciliation_schedule import CHECK_SCHEDULE, MAX_REJECTED_CHECKS
from application.scheduled_checks import ScheduledChecks
from application.use_cases.handle_payment_notification import (
    HandlePaymentNotification,
)
from application.use_cases.pay_cash import PayCash
from application.use_cases.refunds import ListRefunds
from application.use_cases.resolve_payment_review import ResolvePaymentReview
from application.use_cases.run_reconciliation import RunReconciliation
from application.use_cases.shifts import OpenShift
from application.use_cases.start_qris_payment import StartQrisPayment, StartQrisPaymentCommand
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import ClosedReason, Payment, PaymentStatus
from entrypoints.gateways import fake_gateway

CUSTOMER = Customer(name="Budi", email="budi@example.test")


class References:
    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new_attempt_id(self) -> str:
        return f"KSR-SQL-{next(self._n):04d}"

    def new_access_token(self) -> str:
        return f"token-{next(self._n)}"


@dataclass
class Service:
    """The real use cases over one backend, a fake gateway and a settable clock."""

    uow: UnitOfWorkFactory
    queue: ReconciliationQueue
    clock: SettableClock = field(default_factory=SettableClock)
    gateway: FakePaymentGateway = field(default_factory=fake_gateway)  # production verifier
    events: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    references: References = field(default_factory=References)

    def __post_init__(self) -> None:
        self.reconciler = AttemptReconciler(
            self.uow, Gateways.only(self.gateway), self.clock, self.events
        )

    async def order(self) -> Order:
        item = MenuItem.create(name="Nasi goreng", price=25_000)
        async with self.uow() as uow:
            await uow.menu.add(item)
            order = Order.place(items=[(item, 2)], access_token_hash="h", now=self.clock.now())
            await uow.orders.add(order)
            await uow.commit()
        return order

    async def start(self, order: Order) -> Payment:
        issuing = Gateways.only(self.gateway)
        use_case = StartQrisPayment(self.uow, issuing, self.clock, self.references, self.reconciler)
        command = StartQrisPaymentCommand(order_id=order.key, amount=order.total, customer=CUSTOMER)
        started = await use_case.execute(command, caller=Staff("staff:sari"))
        assert started.created
        return started.payment

    async def notify(self, fields: dict[str, str]) -> AttemptOutcome:
        checks = ScheduledChecks(self.queue, LocalWakeups(), self.clock)
        handler = HandlePaymentNotification(
            self.uow, Gateways.only(self.gateway), self.reconciler, self.clock, checks
        )
        return (await handler.execute(fields)).outcome

    async def run_job(self) -> dict[str, str]:
        job = RunReconciliation(self.queue, self.reconciler, self.clock)
        return (await job.execute(owner="runner")).outcomes

    async def payment(self, uid: str) -> Payment:
        async with self.uow(read_only=True) as uow:
            found = await uow.payments.get(uid)
        assert found is not None
        return found

    async def order_status(self, order: Order) -> OrderStatus:
        async with self.uow(read_only=True) as uow:
            found = await uow.orders.get(order.key)
        assert found is not None
        return found.status

    async def reviewed(self) -> list[tuple[str, str]]:
        return [
            (item.payment.attempt_id, item.review_reason)
            for item in await self.queue.list_needing_review()
        ]

    async def resolve(self, uid: str, note: str) -> None:
        use_case = ResolvePaymentReview(self.uow, self.clock)
        await use_case.execute(uid, caller=Staff("staff:sari"), note=note)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest) -> Service:
    if request.param == "memory":
        memory = InMemoryUnitOfWorkFactory()
        return Service(memory, InMemoryReconciliationQueue(memory.store))
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_engine")
    sql = SqlAlchemyUnitOfWorkFactory(engine)
    return Service(sql, SqlAlchemyReconciliationQueue(sql))


REASON = "the gateway reports 1000 paid on an attempt of 50000"


async def test_another_amount_paid_closes_the_attempt_owes_it_back_and_frees_the_order(
    service: Service,
) -> None:
    order = await service.order()
    attempt = await service.start(order)
    fields = service.gateway.notification_for(attempt.attempt_id)
    service.gateway.pay(attempt.attempt_id)
    service.gateway.transactions[attempt.attempt_id].amount = 1_000

    assert await service.notify(fields) is AttemptOutcome.AMOUNT_MISMATCH

    closed = await service.payment(attempt.attempt_id)
    now = service.clock.now()
    assert (closed.status, closed.closed_reason, closed.amount_received) == (
        PaymentStatus.FAILED,
        ClosedReason.AMOUNT_MISMATCH,
        1_000,
    )
    assert (closed.refund_required_at, closed.refund_reason, closed.paid_at) == (now, REASON, None)
    assert await service.order_status(order) is OrderStatus.AWAITING_PAYMENT
    assert await service.reviewed() == [(attempt.attempt_id, REASON)]
    [refund] = await ListRefunds(service.uow).execute(caller=Staff("staff:sari"))
    assert (refund.attempt_id, refund.refund_amount) == (attempt.attempt_id, 1_000)
    second = await service.start(order)  # the order takes a new QR
    assert second.status is PaymentStatus.PENDING
    cash = PayCash(
        service.uow,
        service.clock,
        service.references,
        Gateways.only(service.gateway),
        service.reconciler,
    )
    await OpenShift(service.uow, service.clock).execute(opening_float=0, caller=Staff("staff:sari"))
    await cash.execute(order.key, tendered=50_000, caller=Staff("staff:sari"))  # or cash
    assert await service.order_status(order) is OrderStatus.PAID
    assert (await service.payment(attempt.attempt_id)).refund_open

    await service.resolve(attempt.attempt_id, "gave 1.000 back")

    resolved = await service.payment(attempt.attempt_id)
    assert (resolved.refund_resolved_by, resolved.refund_note) == ("staff:sari", "gave 1.000 back")
    assert await ListRefunds(service.uow).execute(caller=Staff("staff:sari")) == []
    assert await service.reviewed() == []


async def test_a_contradicted_success_is_flagged_and_a_later_paid_status_pays_the_order(
    service: Service,
) -> None:
    order = await service.order()
    attempt = await service.start(order)
    fields = service.gateway.notification_for(attempt.attempt_id)
    service.gateway.fail(attempt.attempt_id)

    assert await service.notify(fields) is AttemptOutcome.CONTRADICTED

    assert (await service.payment(attempt.attempt_id)).status is PaymentStatus.FAILED
    [(uid, reason)] = await service.reviewed()
    assert uid == attempt.attempt_id
    assert "50000 was paid" in reason
    assert "reports it failed" in reason
    flagged_at = service.clock.now()
    service.gateway.pay(attempt.attempt_id)
    service.clock.set(flagged_at + CHECK_SCHEDULE[0])

    assert await service.run_job() == {attempt.attempt_id: "order_paid"}

    assert await service.order_status(order) is OrderStatus.PAID
    assert (await service.payment(attempt.attempt_id)).status is PaymentStatus.SUCCEEDED
    assert await service.reviewed() == []


async def test_refused_status_checks_go_to_staff_and_a_resolution_gives_them_back(
    service: Service,
) -> None:
    order = await service.order()
    attempt = await service.start(order)
    assert attempt.expires_at is not None
    service.clock.set(attempt.expires_at + CHECK_SCHEDULE[0])
    for _ in range(MAX_REJECTED_CHECKS):
        service.gateway.fail_next_status(GatewayRejected("refused", detail="Wrong signature"))
        assert await service.run_job() == {}
        service.clock.advance(timedelta(minutes=5))
    assert [uid for uid, _ in await service.reviewed()] == [attempt.attempt_id]
    service.clock.advance(timedelta(days=1))
    assert await service.run_job() == {}

    await service.resolve(attempt.attempt_id, "API key fixed")
    service.gateway.pay(attempt.attempt_id)

    assert await service.run_job() == {attempt.attempt_id: "order_paid"}
    assert await service.reviewed() == []
