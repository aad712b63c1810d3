"""The reconciliation job and unknown create outcomes on real databases: several runners (one
engine each, as separate processes have) share the work, and attempts left `creating` by a
timeout or a killed process are settled by the next QRIS request or the next pass."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.events import InMemoryEventPublisher
from adapters.in_memory.gateway import FakePaymentGateway
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.reconciliation_queue import SqlAlchemyReconciliationQueue
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.system import SecureReferenceGenerator
from application.callers import Staff
from application.errors import GatewayTimeout
from application.gateway import Customer, GatewayStatus, QrisCharge, QrisChargeRequest
from application.gateways import Gateways
from application.reconciliation import ABANDONED_REASON, AttemptReconciler
from application.reconciliation_schedule import DEFAULT_CREATING_GRACE
from application.use_cases.get_payment import GetPayment
from application.use_cases.manage_menu import AddMenuItem
from application.use_cases.place_order import OrderItemRequest, PlaceOrder, PlaceOrderCommand
from application.use_cases.run_reconciliation import RunReconciliation
from application.use_cases.start_qris_payment import (
    StartedQrisPayment,
    StartQrisPayment,
    StartQrisPaymentCommand,
)
from domain.orders import Order
from domain.payments import Payment, PaymentStatus
from entrypoints import gateways

START = datetime(2026, 5, 6, 7, 0, tzinfo=UTC)
CUSTOMER = Customer(name="Budi", email="budi@example.test")
PAST_GRACE = DEFAULT_CREATING_GRACE + timedelta(seconds=1)


class SharedGateway(FakePaymentGateway):
    """One gateway for every process; status checks take a moment so runners interleave, and
    `die_after_create` makes the next create go through and then kill the caller."""

    die_after_create = False

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        charge = await super().create_qris(request)
        if self.die_after_create:
            self.die_after_create = False
            raise asyncio.CancelledError
        return charge

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        await asyncio.sleep(0.005)
        return await super().check_status(attempt_id)


@dataclass
class Process:
    """What one service process builds: its own engine, unit of work factory and use cases."""

    uow: SqlAlchemyUnitOfWorkFactory
    gateway: SharedGateway
    clock: SettableClock

    @property
    def reconciler(self) -> AttemptReconciler:
        return AttemptReconciler(
            self.uow, Gateways.only(self.gateway), self.clock, InMemoryEventPublisher()
        )

    def job(self) -> RunReconciliation:
        return RunReconciliation(
            SqlAlchemyReconciliationQueue(self.uow), self.reconciler, self.clock, batch_size=2
        )

    async def order(self) -> Order:
        item = await AddMenuItem(self.uow, self.clock).execute(
            caller=Staff("staff:sari"), name="Nasi goreng", price=25_000
        )
        placed = await PlaceOrder(self.uow, self.clock, SecureReferenceGenerator()).execute(
            PlaceOrderCommand(items=(OrderItemRequest(item.id or 0, 2),))
        )
        return placed.order

    async def start(self, order: Order) -> StartedQrisPayment:
        use_case = StartQrisPayment(
            self.uow,
            Gateways.only(self.gateway),
            self.clock,
            SecureReferenceGenerator(),
            self.reconciler,
        )
        return await use_case.execute(
            StartQrisPaymentCommand(order.key, order.total, CUSTOMER), caller=Staff("staff:sari")
        )

    async def payment(self, attempt_id: str) -> Payment:
        return await GetPayment(self.uow).execute(attempt_id)


@dataclass
class Cluster:
    first: Process
    second: Process
    gateway: SharedGateway
    clock: SettableClock


@pytest.fixture
async def cluster(sql_engine: AsyncEngine) -> AsyncIterator[Cluster]:
    """Two processes on one migrated, empty database (SQLite, then PostgreSQL)."""
    engine = sql_engine
    other = create_engine_for(engine.url.render_as_string(hide_password=False))
    gateway = gateways.verified_fake(SharedGateway)
    clock = SettableClock(START)
    try:
        yield Cluster(
            Process(SqlAlchemyUnitOfWorkFactory(engine), gateway, clock),
            Process(SqlAlchemyUnitOfWorkFactory(other), gateway, clock),
            gateway,
            clock,
        )
    finally:
        await other.dispose()


def expiry(payment: Payment) -> datetime:
    assert payment.expires_at is not None
    return payment.expires_at


async def test_two_runners_at_once_check_each_attempt_once_per_slot(cluster: Cluster) -> None:
    attempts = [(await cluster.first.start(await cluster.first.order())).payment for _ in range(8)]
    uids = sorted(attempt.attempt_id for attempt in attempts)

    for n, offset in enumerate((timedelta(minutes=2), timedelta(minutes=15)), start=1):
        cluster.clock.set(expiry(attempts[-1]) + offset)
        reports = await asyncio.gather(
            cluster.first.job().execute(owner="process-a"),
            cluster.second.job().execute(owner="process-b"),
        )
        assert sorted(cluster.gateway.status_checks) == sorted(uids * n)
        assert sum(report.claimed for report in reports) == len(uids)
        assert Counter(o for r in reports for o in r.outcomes.values()) == {
            "still_pending": len(uids)
        }


async def test_a_lost_callback_is_recovered_and_applied_once_by_two_runners(
    cluster: Cluster,
) -> None:
    order = await cluster.first.order()
    attempt = (await cluster.first.start(order)).payment
    cluster.gateway.pay(attempt.attempt_id)
    cluster.clock.set(expiry(attempt) + timedelta(minutes=2))

    reports = await asyncio.gather(cluster.first.job().execute(), cluster.second.job().execute())

    assert [o for r in reports for o in r.outcomes.values()] == ["order_paid"]
    assert (await cluster.second.payment(attempt.attempt_id)).status is PaymentStatus.SUCCEEDED
    assert cluster.gateway.status_checks == [attempt.attempt_id]


async def test_a_create_that_timed_out_is_abandoned_by_the_next_pass_and_a_new_qr_is_made(
    cluster: Cluster,
) -> None:
    order = await cluster.first.order()
    cluster.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await cluster.first.start(order)
    [lost_uid] = list(cluster.gateway.transactions)

    cluster.clock.advance(PAST_GRACE)
    report = await cluster.second.job().execute()
    started = await cluster.second.start(order)

    assert report.outcomes == {lost_uid: "abandoned"}
    lost = await cluster.first.payment(lost_uid)
    assert lost.status is PaymentStatus.CANCELLED
    assert lost.status_reason == ABANDONED_REASON
    assert started.created
    assert started.payment.status is PaymentStatus.PENDING


async def test_a_process_killed_after_the_gateway_call_is_resolved_by_the_next_qris_request(
    cluster: Cluster,
) -> None:
    order = await cluster.first.order()
    cluster.gateway.die_after_create = True
    with pytest.raises(asyncio.CancelledError):
        await cluster.first.start(order)
    [lost_uid] = list(cluster.gateway.transactions)
    assert (await cluster.second.payment(lost_uid)).status is PaymentStatus.CREATING

    cluster.clock.advance(PAST_GRACE)
    started = await cluster.second.start(order)

    assert started.created
    assert started.payment.attempt_id != lost_uid
    assert (await cluster.second.payment(lost_uid)).status is PaymentStatus.CANCELLED
    assert cluster.gateway.status_checks == [lost_uid]


async def test_a_process_killed_after_the_gateway_call_is_resolved_by_the_next_pass(
    cluster: Cluster,
) -> None:
    order = await cluster.first.order()
    cluster.gateway.die_after_create = True
    with pytest.raises(asyncio.CancelledError):
        await cluster.first.start(order)
    [lost_uid] = list(cluster.gateway.transactions)

    cluster.clock.advance(PAST_GRACE)
    reports = await asyncio.gather(cluster.first.job().execute(), cluster.second.job().execute())

    assert [r.outcomes for r in reports if r.outcomes] == [{lost_uid: "abandoned"}]
    assert (await cluster.first.payment(lost_uid)).status is PaymentStatus.CANCELLED
    assert (await cluster.first.start(order)).created
