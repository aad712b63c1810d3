"""A QRIS create that takes its whole timeout is still running: as the service is wired, neither
a second request for the order nor the reconciliation job may settle its `creating` attempt
meanwhile (that would close the attempt and leave the customer a 404 for the QR the create is
about to return)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.gateway import FakePaymentGateway
from application.callers import Staff
from application.errors import PaymentInProgress
from application.gateway import Customer, QrisCharge, QrisChargeRequest
from application.use_cases.place_order import OrderItemRequest, PlaceOrderCommand
from application.use_cases.start_qris_payment import StartQrisPaymentCommand
from domain.payments import PaymentStatus
from entrypoints.container import Container, build_container
from entrypoints.settings import load_settings

CUSTOMER = Customer(name="Budi", email="budi@example.test")


class SlowGateway(FakePaymentGateway):
    """Holds the first create call until `answer` is set, as a slow gateway does."""

    def __init__(self) -> None:
        super().__init__()
        self.called = asyncio.Event()
        self.answer = asyncio.Event()

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        if not self.called.is_set():
            self.called.set()
            await self.answer.wait()
        return await super().create_qris(request)


@pytest.fixture
async def service(sql_engine: AsyncEngine) -> AsyncIterator[Container]:
    """The service's container on a migrated, empty database, with a slow gateway."""
    container = build_container(
        load_settings(
            database_url=sql_engine.url.render_as_string(hide_password=False),
            duitku_env="fake",
            kasir_staff_tokens="alice:alice-token-0123456789",
        )
    )
    replace(container, gateway=SlowGateway(), clock=SettableClock(datetime.now(UTC)))
    yield container
    await container.engine().dispose()


async def test_a_create_answering_at_its_deadline_keeps_its_attempt_and_its_qr(
    service: Container,
) -> None:
    gateway = service.gateway()
    clock = service.clock()
    assert isinstance(gateway, SlowGateway)
    assert isinstance(clock, SettableClock)
    item = await service.add_menu_item().execute(
        caller=Staff("staff:sari"), name="Nasi goreng", price=25_000
    )
    order = (
        await service.place_order().execute(
            PlaceOrderCommand(items=(OrderItemRequest(item.id or 0, 2),))
        )
    ).order
    staff = Staff("staff:sari")
    command = StartQrisPaymentCommand(order_id=order.key, amount=order.total, customer=CUSTOMER)
    first = asyncio.create_task(service.start_qris_payment().execute(command, caller=staff))
    async with asyncio.timeout(5):
        await gateway.called.wait()
    # The create has used its whole timeout, and its answer is being recorded right now.
    clock.advance(service.duitku_config().create_call_timeout() + timedelta(seconds=5))

    with pytest.raises(PaymentInProgress):
        await service.start_qris_payment().execute(command, caller=staff)
    report = await service.run_reconciliation().execute()

    assert report.claimed == 0
    assert gateway.status_checks == []
    gateway.answer.set()
    async with asyncio.timeout(5):
        started = await first
    assert started.created
    shown = await service.get_payment().execute(started.payment.attempt_id)
    assert shown.status is PaymentStatus.PENDING
    assert shown.qr_string
    assert len(gateway.create_requests) == 1
