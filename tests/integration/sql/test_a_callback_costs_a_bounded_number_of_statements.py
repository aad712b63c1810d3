"""A paying callback and its duplicate cost a bounded number of statements, on SQLite and
PostgreSQL: every statement is a driver round trip and a pass through SQLAlchemy's machinery,
so a change that adds one to the hottest path fails here (counted with
`before_cursor_execute`, never timed; tests/support/statement_log.py). As the service is
wired (the container), with the fake gateway answering the status check."""

from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.statement_log import statement_log

from adapters.in_memory.gateway import FakePaymentGateway
from application.callers import Staff
from application.gateway import Customer
from application.reconciliation import AttemptOutcome
from application.use_cases.place_order import OrderItemRequest, PlaceOrderCommand
from application.use_cases.start_qris_payment import StartQrisPaymentCommand
from entrypoints import gateways
from entrypoints.container import Container, build_container
from entrypoints.settings import load_settings

# Statements besides BEGIN and COMMIT. The paying callback: the inbox entry stored and the
# status check claimed in the first transaction; the attempt and its order read under their
# locks, payment, order and inbox entry updated, the events written to the outbox in the second.
PAYING_STATEMENTS = {"sqlite": 10, "postgresql": 8}
# A duplicate of a settled attempt: the attempt read, the entry stored, one transaction.
DUPLICATE_STATEMENTS = {"sqlite": 2, "postgresql": 2}


@pytest.fixture
async def service(sql_engine: AsyncEngine) -> AsyncIterator[tuple[Container, FakePaymentGateway]]:
    container = build_container(
        load_settings(
            database_url=sql_engine.url.render_as_string(hide_password=False),
            duitku_env="fake",
            kasir_staff_tokens="alice:alice-token-0123456789",
        )
    )
    gateway = gateways.fake_gateway()
    container.gateway.override(providers.Object(gateway))
    yield container, gateway
    await container.engine().dispose()


async def paid_at_the_gateway(container: Container, gateway: FakePaymentGateway) -> str:
    """A pending QRIS attempt the customer has paid; kasir has not heard of it yet."""
    item = await container.add_menu_item().execute(
        caller=Staff("staff:sari"), name="Nasi goreng", price=25_000
    )
    placed = await container.place_order().execute(
        PlaceOrderCommand(items=(OrderItemRequest(item.id or 0, 2),))
    )
    started = await container.start_qris_payment().execute(
        StartQrisPaymentCommand(
            order_id=placed.order.key,
            amount=placed.order.total,
            customer=Customer(name="Budi", email="budi@example.test"),
        ),
        caller=Staff("staff:sari"),
    )
    uid = started.payment.attempt_id
    gateway.pay(uid)
    return uid


async def test_a_paying_callback_costs_at_most_its_statements_in_two_transactions(
    service: tuple[Container, FakePaymentGateway],
) -> None:
    container, gateway = service
    notify = container.handle_payment_notification()
    first = await paid_at_the_gateway(container, gateway)
    await notify.execute(gateway.notification_for(first))  # compiles the statements once
    uid = await paid_at_the_gateway(container, gateway)
    engine = container.engine()

    with statement_log(engine) as log:
        handled = await notify.execute(gateway.notification_for(uid))

    assert handled.outcome is AttemptOutcome.ORDER_PAID
    limit = PAYING_STATEMENTS[engine.dialect.name]
    assert len(log.statements) <= limit, log.listing()
    assert log.commits == 2, log.listing()
    assert log.compiled == [], "compiled anew, not taken from SQLAlchemy's cache"


async def test_a_duplicate_callback_costs_at_most_its_statements_in_one_transaction(
    service: tuple[Container, FakePaymentGateway],
) -> None:
    container, gateway = service
    uid = await paid_at_the_gateway(container, gateway)
    notify = container.handle_payment_notification()
    await notify.execute(gateway.notification_for(uid))
    await notify.execute(gateway.notification_for(uid))  # compiles the statements once
    engine = container.engine()

    with statement_log(engine) as log:
        handled = await notify.execute(gateway.notification_for(uid))

    assert handled.outcome is AttemptOutcome.ALREADY_SETTLED
    limit = DUPLICATE_STATEMENTS[engine.dialect.name]
    assert len(log.statements) <= limit, log.listing()
    assert log.commits == 1, log.listing()
    assert log.compiled == [], "compiled anew, not taken from SQLAlchemy's cache"
