"""Races over the cash drawer and refunds, through the SQL adapter on SQLite and PostgreSQL
(two engines: two service processes on one database).

- Two cashiers refund the same order at once: together they never reserve more than was
  paid (the order row lock, the conditional update, and the CHECK on refund_reserved).
- Cash taken while its shift is being closed: every payment either lands in the shift before
  the close (and is in its expected cash) or is refused with shift_required; no payment ever
  points at a shift whose expected cash leaves it out.
"""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.events import InMemoryEventPublisher
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.system import SecureReferenceGenerator
from application.callers import Role, Staff
from application.errors import ShiftRequired
from application.gateways import Gateways
from application.reconciliation import AttemptReconciler
from application.use_cases.pay_cash import PayCash
from application.use_cases.refund_requests import RefundRequest, RequestRefund
from application.use_cases.shifts import CloseShift, OpenShift
from domain.errors import RefundExceedsPaid, ShiftClosed
from domain.menu import MenuItem
from domain.orders import Order

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
CASHIERS = (
    Staff("Budi", Role.CASHIER, staff_id="account:2"),
    Staff("Dewi", Role.CASHIER, staff_id="account:3"),
)
ROUNDS = 10
STAGGER = 0.004  # seconds between the racers' starts
T = TypeVar("T")


@dataclass
class Processes:
    """Two service processes over one database, each with its own engine."""

    one: SqlAlchemyUnitOfWorkFactory
    two: SqlAlchemyUnitOfWorkFactory
    clock: SettableClock

    def pay_cash(self, factory: SqlAlchemyUnitOfWorkFactory) -> PayCash:
        gateways = Gateways.only(FakePaymentGateway())
        reconciler = AttemptReconciler(factory, gateways, self.clock, InMemoryEventPublisher())
        return PayCash(factory, self.clock, SecureReferenceGenerator(), gateways, reconciler)

    async def order(self, total_items: int = 2) -> Order:
        item = MenuItem.create(name="Nasi goreng", price=25_000)
        async with self.one() as uow:
            await uow.menu.add(item)
            order = Order.place(items=[(item, total_items)], access_token_hash="h", now=NOW)
            await uow.orders.add(order)
            await uow.commit()
        return order


@pytest.fixture
async def processes(sql_engine: AsyncEngine) -> AsyncIterator[Processes]:
    second = create_engine_for(sql_engine.url.render_as_string(hide_password=False))
    try:
        yield Processes(
            SqlAlchemyUnitOfWorkFactory(sql_engine),
            SqlAlchemyUnitOfWorkFactory(second),
            SettableClock(NOW),
        )
    finally:
        await second.dispose()


async def _after(delay: float, call: Coroutine[Any, Any, T]) -> T:
    """Start `call` after `delay` seconds (staggers the racers; nothing asserts on time)."""
    await asyncio.sleep(delay)
    return await call


async def _outcome(call: Coroutine[Any, Any, object]) -> object:
    try:
        return await call
    except Exception as error:  # the refusals are the point: compared below
        return error


async def test_two_cashiers_refunding_one_order_at_once_never_refund_above_what_was_paid(
    processes: Processes,
) -> None:
    for cashier in CASHIERS:
        await OpenShift(processes.one, processes.clock).execute(opening_float=0, caller=cashier)
    for _ in range(ROUNDS):
        order = await processes.order()  # 50 000
        await processes.pay_cash(processes.one).execute(
            order.key, tendered=order.total, caller=CASHIERS[0]
        )
        requests = [
            RequestRefund(factory, processes.clock, approval_threshold=0).execute(
                RefundRequest(order_id=order.key, amount=20_000, reason="cold soup"),
                caller=cashier,
            )
            for factory, cashier in zip(
                (processes.one, processes.two) * 2, CASHIERS * 2, strict=True
            )
        ]

        outcomes = await asyncio.gather(*(_outcome(r) for r in requests))

        refused = [o for o in outcomes if isinstance(o, Exception)]
        assert all(isinstance(o, RefundExceedsPaid) for o in refused), outcomes
        assert len(outcomes) - len(refused) == 2  # 2 x 20 000 fit in 50 000, a third does not
        async with processes.one(read_only=True) as uow:
            stored = await uow.orders.get(order.key)
            refunds = await uow.refunds.list_for_order(order.key)
        assert stored is not None
        assert stored.refund_reserved == sum(r.amount for r in refunds) == 40_000
        assert stored.refund_reserved <= stored.total


async def test_cash_taken_while_its_shift_closes_is_counted_in_it_or_refused(
    processes: Processes, sql_engine: AsyncEngine
) -> None:
    cashier = CASHIERS[0]
    for round_ in range(ROUNDS):
        shift = await OpenShift(processes.one, processes.clock).execute(
            opening_float=100_000, caller=cashier
        )
        orders = [await processes.order(1) for _ in range(4)]  # 25 000 each
        # The payments start one after another; the close starts somewhere among them, a
        # little later each round, so rounds race it against different payments.
        payments = [
            _after(
                STAGGER * n,
                processes.pay_cash(factory).execute(
                    order.key, tendered=order.total, caller=cashier
                ),
            )
            for n, (factory, order) in enumerate(
                zip((processes.one, processes.two) * 2, orders, strict=True)
            )
        ]
        close = _after(
            STAGGER * (round_ % 5),
            CloseShift(processes.two, processes.clock).execute(
                shift.key, counted_cash=0, note=None, caller=cashier
            ),
        )

        *paid, closed = await asyncio.gather(*(_outcome(p) for p in payments), _outcome(close))

        assert not isinstance(closed, Exception), closed
        refused = [p for p in paid if isinstance(p, Exception)]
        assert all(isinstance(p, ShiftRequired | ShiftClosed) for p in refused), paid
        async with sql_engine.connect() as connection:
            in_shift = (
                await connection.execute(
                    text(
                        "SELECT count(*), coalesce(sum(amount), 0) FROM payments "
                        "WHERE shift_id = :id"
                    ),
                    {"id": shift.key},
                )
            ).one()
            row = (
                await connection.execute(
                    text(
                        "SELECT status, cash_payments, cash_payments_count, expected_at_close "
                        "FROM shifts WHERE id = :id"
                    ),
                    {"id": shift.key},
                )
            ).one()
        assert tuple(in_shift) == (len(paid) - len(refused), 25_000 * (len(paid) - len(refused)))
        assert tuple(row) == ("closed", in_shift[1], in_shift[0], 100_000 + in_shift[1])
