"""Cash for an order whose QR was just paid is refused and the order is paid by QRIS, on
SQLite and PostgreSQL through the SQL adapter; a status-check budget spent by another process
(the claim is in the database) counts as no answer, and the cash is taken."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.events import InMemoryEventPublisher
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.system import SecureReferenceGenerator
from application.callers import Staff
from application.errors import OrderPaid
from application.gateway import Customer
from application.gateways import Gateways
from application.reconciliation import AttemptReconciler
from application.use_cases.pay_cash import PayCash
from application.use_cases.shifts import OpenShift
from application.use_cases.start_qris_payment import StartQrisPayment, StartQrisPaymentCommand
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import PaymentMethod, PaymentStatus

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@dataclass
class Service:
    """One service process over the shared database and gateway."""

    uow: SqlAlchemyUnitOfWorkFactory
    gateway: FakePaymentGateway
    clock: SettableClock

    @property
    def reconciler(self) -> AttemptReconciler:
        return AttemptReconciler(
            self.uow, Gateways.only(self.gateway), self.clock, InMemoryEventPublisher()
        )

    @property
    def pay_cash(self) -> PayCash:
        return PayCash(
            self.uow,
            self.clock,
            SecureReferenceGenerator(),
            Gateways.only(self.gateway),
            self.reconciler,
        )

    async def order_with_a_qr(self) -> tuple[Order, str]:
        item = MenuItem.create(name="Nasi goreng", price=25_000)
        async with self.uow() as uow:
            await uow.menu.add(item)
            order = Order.place(items=[(item, 2)], access_token_hash="h", now=NOW)
            await uow.orders.add(order)
            await uow.commit()
        start = StartQrisPayment(
            self.uow,
            Gateways.only(self.gateway),
            self.clock,
            SecureReferenceGenerator(),
            self.reconciler,
        )
        started = await start.execute(
            StartQrisPaymentCommand(order.key, order.total, Customer("Budi", "b@example.test")),
            caller=Staff("staff:sari"),
        )
        return order, started.payment.attempt_id

    async def state(self, order_id: int) -> tuple[OrderStatus, str | None, list[tuple[str, str]]]:
        async with self.uow(read_only=True) as uow:
            order = await uow.orders.get(order_id)
            found = await uow.payments.list_for_order(order_id)
        assert order is not None
        return order.status, order.paid_by_attempt, sorted((p.method, p.status) for p in found)


@pytest.fixture
async def service(sql_engine: AsyncEngine) -> Service:
    """One process, and the cashier's open shift (cash goes into a drawer)."""
    service = Service(
        SqlAlchemyUnitOfWorkFactory(sql_engine), FakePaymentGateway(), SettableClock(NOW)
    )
    await OpenShift(service.uow, service.clock).execute(opening_float=0, caller=Staff("staff:sari"))
    return service


async def test_cash_for_a_qr_paid_moments_ago_is_refused_and_the_order_is_paid_by_qris(
    service: Service,
) -> None:
    order, uid = await service.order_with_a_qr()
    service.gateway.pay(uid)  # its callback has not arrived

    with pytest.raises(OrderPaid):
        await service.pay_cash.execute(order.key, tendered=50_000, caller=Staff("staff:sari"))

    assert await service.state(order.key) == (
        OrderStatus.PAID,
        uid,
        [(PaymentMethod.QRIS, PaymentStatus.SUCCEEDED)],
    )
    assert service.gateway.status_checks == [uid]


async def test_a_budget_spent_by_another_process_is_no_answer_and_the_cash_is_taken(
    service: Service,
) -> None:
    order, uid = await service.order_with_a_qr()
    other_process = Service(service.uow, service.gateway, service.clock)
    await other_process.reconciler.reconcile(uid)  # still pending; the budget is now spent
    service.gateway.pay(uid)
    service.gateway.status_checks.clear()

    cash = await service.pay_cash.execute(order.key, tendered=50_000, caller=Staff("staff:sari"))

    assert service.gateway.status_checks == []
    assert await service.state(order.key) == (
        OrderStatus.PAID,
        cash.attempt_id,
        [
            (PaymentMethod.CASH, PaymentStatus.SUCCEEDED),
            (PaymentMethod.QRIS, PaymentStatus.CANCELLED),
        ],
    )
