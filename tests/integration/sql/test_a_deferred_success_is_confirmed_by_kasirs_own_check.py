"""A signed success that kasir cannot confirm yet is answered `scheduled` and confirmed by the
status check kasir scheduled itself, when the budget allows: the runner sleeps until then (not
until its next interval), a request in the same process wakes it to re-plan, and the due time
survives a restart because it is committed on the attempt. As the service is wired (the
container), on SQLite and PostgreSQL, with a settable clock: no real 30 s wait."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from application.callers import Staff
from application.gateway import Customer
from application.reconciliation import AttemptOutcome
from application.use_cases.place_order import OrderItemRequest, PlaceOrderCommand
from application.use_cases.start_qris_payment import StartQrisPaymentCommand
from domain.orders import OrderStatus
from domain.payments import PaymentStatus
from entrypoints import gateways
from entrypoints.background import DUE_SLACK_SECONDS, ReconciliationLoop
from entrypoints.container import Container, build_container
from entrypoints.settings import load_settings

START = datetime(2026, 5, 6, 7, 0, tzinfo=UTC)
INTERVAL = 60.0  # the job's interval: a scheduled check must not wait for it
BUDGET = timedelta(seconds=30)
CUSTOMER = Customer(name="Budi", email="budi@example.test")


class Services:
    """Service processes on one database, one gateway (Duitku) and one clock."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.gateway = gateways.fake_gateway()
        self.clock = SettableClock(START)
        self.started: list[Container] = []

    def start(self) -> Container:
        container = build_container(
            load_settings(
                database_url=self.database_url,
                duitku_env="fake",
                kasir_staff_tokens="alice:alice-token-0123456789",
            )
        )
        replace(container, gateway=self.gateway, clock=self.clock)
        self.started.append(container)
        return container

    async def stop(self, container: Container) -> None:
        await container.engine().dispose()

    def waiting_by_the_clock(self, waits: list[float]) -> Callable[[float], "asyncio.Future[bool]"]:
        """A runner's wait that moves the clock instead of sleeping (never woken early)."""

        def wait(seconds: float) -> "asyncio.Future[bool]":
            waits.append(seconds)
            self.clock.advance(timedelta(seconds=seconds))
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            future.set_result(False)
            return future

        return wait


@pytest.fixture
async def services(sql_engine: AsyncEngine) -> AsyncIterator[Services]:
    running = Services(sql_engine.url.render_as_string(hide_password=False))
    yield running
    for container in running.started:
        await container.engine().dispose()


async def pending_attempt(service: Container) -> tuple[int, str]:
    item = await service.add_menu_item().execute(
        caller=Staff("staff:sari"), name="Nasi goreng", price=25_000
    )
    placed = await service.place_order().execute(
        PlaceOrderCommand(items=(OrderItemRequest(item.id or 0, 2),))
    )
    order = placed.order
    started = await service.start_qris_payment().execute(
        StartQrisPaymentCommand(order_id=order.key, amount=order.total, customer=CUSTOMER),
        caller=Staff("staff:sari"),
    )
    return order.key, started.payment.attempt_id


async def test_a_success_sent_while_the_budget_is_spent_pays_the_order_after_a_restart(
    services: Services,
) -> None:
    first = services.start()
    order_id, uid = await pending_attempt(first)
    notify = first.handle_payment_notification()
    # A signed success arrives before the payer paid: checked, still pending at the gateway.
    early = await notify.execute(services.gateway.notification_for(uid))
    checked_at = services.clock.now()
    services.clock.advance(timedelta(seconds=10))
    services.gateway.pay(uid)
    paid_at_gateway = services.clock.now()

    # The real success comes within the budget: no gateway call, a check is scheduled.
    real = await notify.execute(services.gateway.notification_for(uid))

    assert early.outcome is real.outcome is AttemptOutcome.SCHEDULED
    assert services.gateway.status_checks == [uid]
    await services.stop(first)  # the process restarts before the check is due

    second = services.start()
    waits: list[float] = []
    runner = ReconciliationLoop(
        second, interval=INTERVAL, wait=services.waiting_by_the_clock(waits)
    )
    await runner.pause()
    await runner.run_once()

    assert waits == [pytest.approx(20 + DUE_SLACK_SECONDS)]  # until the budget allows, not 60 s
    assert services.clock.now() - checked_at < BUDGET + timedelta(seconds=1)
    assert services.gateway.status_checks == [uid, uid]
    order = (await second.get_order().execute(order_id, caller=Staff("staff:sari"))).order
    payment = await second.get_payment().execute(uid)
    assert order.status is OrderStatus.PAID
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.paid_at is not None
    assert payment.paid_at - paid_at_gateway <= BUDGET


async def test_a_runner_asleep_for_its_interval_is_woken_to_sleep_only_until_the_due_check(
    services: Services,
) -> None:
    service = services.start()
    _, uid = await pending_attempt(service)
    alarm = service.check_alarm()
    waits: list[float] = []

    async def recording_wait(seconds: float) -> bool:
        waits.append(seconds)
        return await alarm.wait(seconds)

    runner = ReconciliationLoop(service, interval=INTERVAL, wait=recording_wait)
    task = asyncio.create_task(runner.pause())
    try:
        async with asyncio.timeout(5):
            while not waits:  # noqa: ASYNC110 - the runner's task runs on this loop
                await asyncio.sleep(0.01)
        assert waits == [pytest.approx(INTERVAL, abs=1)]  # nothing is due: a whole interval

        handled = await service.handle_payment_notification().execute(
            services.gateway.notification_for(uid)
        )

        async with asyncio.timeout(5):
            while len(waits) < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert handled.outcome is AttemptOutcome.SCHEDULED
        assert alarm.last_due == services.clock.now() + BUDGET
        assert waits[1] == pytest.approx(BUDGET.total_seconds() + DUE_SLACK_SECONDS)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.parametrize("gateway_then", ["pays", "denies"])
async def test_a_signed_success_for_a_voided_order_the_gateway_has_not_confirmed_is_watched(
    services: Services, gateway_then: str
) -> None:
    # The order was voided while its QR lived on at the gateway (Duitku cannot cancel a QR),
    # then a correctly signed success came that the gateway does not confirm yet. The money may
    # be on its way: kasir checks again, so late money is owed back and a denial reaches staff.
    service = services.start()
    order_id, uid = await pending_attempt(service)
    await service.cancel_order().execute(
        order_id, reason="the table left", caller=Staff("staff:sari")
    )

    handled = await service.handle_payment_notification().execute(
        services.gateway.notification_for(uid)
    )

    assert handled.outcome is AttemptOutcome.SCHEDULED
    if gateway_then == "pays":
        services.gateway.pay(uid)
    else:
        services.gateway.fail(uid)
    services.clock.advance(BUDGET + timedelta(seconds=1))
    await ReconciliationLoop(service, interval=INTERVAL).run_once()

    payment = await service.get_payment().execute(uid)
    order = (await service.get_order().execute(order_id, caller=Staff("staff:sari"))).order
    flagged = await service.list_payments_needing_review().execute(caller=Staff("staff:sari"))
    assert order.status is OrderStatus.CANCELLED
    if gateway_then == "pays":
        assert payment.status is PaymentStatus.SUCCEEDED
        assert payment.refund_required_at is not None  # late money, to be given back
    else:
        assert payment.status is PaymentStatus.CANCELLED
        assert [item.payment.attempt_id for item in flagged] == [uid]
        assert "correctly signed notification" in flagged[0].review_reason
