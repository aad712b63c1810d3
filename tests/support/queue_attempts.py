"""Attempts in every state, stored through a unit of work, for the reconciliation-queue
contract tests that run one body on the in-memory, SQLite and PostgreSQL queues."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.reconciliation_queue import InMemoryReconciliationQueue
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from adapters.sqlalchemy.reconciliation_queue import SqlAlchemyReconciliationQueue
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.ports import ReconciliationQueue, UnitOfWorkFactory
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment, PaymentStatus

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=10)
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class QueueAttempts:
    """A queue and the unit of work it reads, with helpers that store attempts for it."""

    uow: UnitOfWorkFactory
    queue: ReconciliationQueue

    async def order(self) -> Order:
        item = MenuItem.create(name="Nasi goreng", price=25_000)
        async with self.uow() as uow:
            await uow.menu.add(item)
            order = Order.place(items=[(item, 2)], access_token_hash="h", now=NOW)
            await uow.orders.add(order)
            await uow.commit()
        return order

    async def add(self, payment: Payment) -> Payment:
        async with self.uow() as uow:
            await uow.payments.add(payment)
            await uow.commit()
        return payment

    async def creating(self, uid: str) -> Payment:
        return await self.add(Payment.start_qris(order=await self.order(), attempt_id=uid, now=NOW))

    async def pending(self, uid: str, *, expires_at: datetime = EXPIRES) -> Payment:
        payment = Payment.start_qris(order=await self.order(), attempt_id=uid, now=NOW)
        payment.mark_issued(
            gateway_reference=f"REF-{uid}",
            qr_string="000201",
            payment_url="https://pay.example/qr",
            expires_at=expires_at,
            now=NOW,
        )
        return await self.add(payment)

    async def change(self, uid: str, status: PaymentStatus) -> None:
        """Move a stored attempt to `status` (expired, succeeded, failed, else cancelled)."""
        async with self.uow() as uow:
            payment = await uow.payments.get(uid)
            assert payment is not None
            if status is PaymentStatus.EXPIRED:
                payment.expire(now=NOW)
            elif status is PaymentStatus.SUCCEEDED:
                payment.confirm_success(amount=payment.amount, now=NOW)
            elif status is PaymentStatus.FAILED:
                payment.fail(reason="the gateway reports it failed", now=NOW)
            else:
                payment.cancel(reason="order cancelled", now=NOW)
            await uow.payments.update(payment)
            await uow.commit()


Q = TypeVar("Q", bound=QueueAttempts)


def queue_attempts(request: pytest.FixtureRequest, kind: type[Q]) -> Q:
    """`kind` over the backend named by the fixture's parameter (one of BACKENDS)."""
    if request.param == "memory":
        factory = InMemoryUnitOfWorkFactory()
        return kind(factory, InMemoryReconciliationQueue(factory.store))
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_engine")
    sql = SqlAlchemyUnitOfWorkFactory(engine)
    return kind(sql, SqlAlchemyReconciliationQueue(sql))
