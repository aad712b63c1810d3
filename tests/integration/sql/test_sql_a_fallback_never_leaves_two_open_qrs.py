"""With the fallback on, customers racing to start the same order's QR while the first
gateway refuses leave at most one open QR for the order (on SQLite and PostgreSQL), and every
attempt the second gateway created is the one kasir shows; a cash payment racing the fallback
leaves none open."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.events import InMemoryEventPublisher
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.system import SecureReferenceGenerator
from application.callers import Staff
from application.errors import ApplicationError, GatewayRejected
from application.gateway import Customer
from application.gateways import Gateways
from application.reconciliation import AttemptReconciler
from application.use_cases.pay_cash import PayCash
from application.use_cases.shifts import OpenShift
from application.use_cases.start_qris_payment import StartQrisPayment, StartQrisPaymentCommand
from domain.errors import DomainError
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import PaymentStatus
from entrypoints import gateways

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
STAFF = Staff("staff:sari")
RACERS = 4


async def _setting(
    sql_engine: AsyncEngine,
) -> tuple[SqlAlchemyUnitOfWorkFactory, Gateways, FakePaymentGateway, Order]:
    uow = SqlAlchemyUnitOfWorkFactory(sql_engine)
    first = gateways.fake_gateway(reference_prefix="A")
    second = gateways.fake_gateway(reference_prefix="B", cancels=True)
    for _ in range(RACERS):
        first.fail_next_create(GatewayRejected("Failed to generate QR String"))
    configured = Gateways({"first": first, "second": second}, "first", fallback=True)
    item = MenuItem.create(name="Nasi goreng", price=25_000)
    async with uow() as unit:
        await unit.menu.add(item)
        order = Order.place(items=[(item, 2)], access_token_hash="h", now=NOW)
        await unit.orders.add(order)
        await unit.commit()
    return uow, configured, second, order


def _reconciler(uow: SqlAlchemyUnitOfWorkFactory, configured: Gateways) -> AttemptReconciler:
    return AttemptReconciler(uow, configured, SettableClock(NOW), InMemoryEventPublisher())


async def _start(uow: SqlAlchemyUnitOfWorkFactory, configured: Gateways, order: Order) -> object:
    start = StartQrisPayment(
        uow,
        configured,
        SettableClock(NOW),
        SecureReferenceGenerator(),
        _reconciler(uow, configured),
    )
    try:
        return await start.execute(
            StartQrisPaymentCommand(order.key, order.total, Customer("Budi", "b@example.test")),
            caller=STAFF,
        )
    except (ApplicationError, DomainError) as error:  # in progress, paid: never two QRs
        return error


async def test_racing_starts_with_a_refusing_first_gateway_leave_one_open_qr(
    sql_engine: AsyncEngine,
) -> None:
    uow, configured, second, order = await _setting(sql_engine)

    await asyncio.gather(*(_start(uow, configured, order) for _ in range(RACERS)))

    async with uow(read_only=True) as unit:
        attempts = await unit.payments.list_for_order(order.key)
    open_attempts = [p for p in attempts if p.is_open]
    assert len(open_attempts) == 1
    assert open_attempts[0].gateway == "second"
    live_at_second = [t for t in second.transactions.values() if t.state.value == "pending"]
    assert [t.attempt_id for t in live_at_second] == [open_attempts[0].attempt_id]


async def test_cash_racing_the_fallback_leaves_no_qr_open_anywhere(
    sql_engine: AsyncEngine,
) -> None:
    uow, configured, second, order = await _setting(sql_engine)
    await OpenShift(uow, SettableClock(NOW)).execute(opening_float=0, caller=STAFF)  # the till
    cash = PayCash(
        uow,
        SettableClock(NOW),
        SecureReferenceGenerator(),
        configured,
        _reconciler(uow, configured),
    )

    await asyncio.gather(
        _start(uow, configured, order),
        cash.execute(order.key, tendered=order.total, caller=STAFF),
    )

    async with uow(read_only=True) as unit:
        attempts = await unit.payments.list_for_order(order.key)
        paid = await unit.orders.get(order.key)
    assert paid is not None
    assert paid.status is OrderStatus.PAID
    assert [p for p in attempts if p.is_open] == []
    # The second gateway's QR, if one was issued, was withdrawn or kasir closed it: nobody
    # can pay it without kasir watching (closed locally, cancelled at the gateway).
    for attempt in attempts:
        if attempt.gateway == "second" and attempt.status is PaymentStatus.CANCELLED:
            assert second.transactions[attempt.attempt_id].state.value != "pending"
