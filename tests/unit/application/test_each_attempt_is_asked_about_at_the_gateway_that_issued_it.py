"""Every attempt records the gateway that issued it; status checks, the check before cash and
notifications go to that gateway, whichever one issues new attempts now."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.support.kasir_on_fakes import STAFF

from adapters.in_memory.gateway import FakePaymentGateway
from application.gateway import Customer
from application.gateways import Gateways, UnknownGateway
from application.reconciliation import AttemptOutcome, AttemptReconciler
from application.use_cases.handle_payment_notification import (
    HandlePaymentNotification,
)
from application.use_cases.pay_cash import PayCash
from application.use_cases.start_qris_payment import StartQrisPayment, StartQrisPaymentCommand
from domain.orders import Order, OrderStatus
from domain.payments import Payment
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

pytestmark = pytest.mark.unit

CUSTOMER = Customer(name="Budi", email="budi@example.com")


@pytest.fixture
def newer() -> FakePaymentGateway:
    """A second gateway, configured after the attempt was issued by the first ("duitku")."""
    return gateways.fake_gateway(reference_prefix="N")


@pytest.fixture
def both(kasir: Kasir, newer: FakePaymentGateway) -> Gateways:
    return Gateways({"duitku": kasir.gateway, "newer": newer}, default="newer")


def reconciler(kasir: Kasir, both: Gateways) -> AttemptReconciler:
    return AttemptReconciler(kasir.uow, both, kasir.clock, kasir.events)


async def test_a_new_attempt_is_issued_by_the_default_gateway_and_records_its_name(
    kasir: Kasir, order: Order, newer: FakePaymentGateway, both: Gateways
) -> None:
    start = StartQrisPayment(
        kasir.uow, both, kasir.clock, kasir.references, reconciler(kasir, both)
    )
    started = await start.execute(
        StartQrisPaymentCommand(order.key, order.total, CUSTOMER), caller=STAFF
    )

    assert started.payment.gateway == "newer"
    assert kasir.payment(started.payment.attempt_id).gateway == "newer"
    assert [r.attempt_id for r in newer.create_requests] == [started.payment.attempt_id]
    assert kasir.gateway.create_requests == []


async def test_a_status_check_goes_to_the_gateway_that_issued_the_attempt(
    kasir: Kasir, order: Order, attempt: Payment, newer: FakePaymentGateway, both: Gateways
) -> None:
    assert attempt.gateway == "duitku"
    kasir.gateway.pay(attempt.attempt_id)

    await reconciler(kasir, both).check(attempt.attempt_id)

    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert newer.status_checks == []
    assert kasir.order(order.key).status is OrderStatus.PAID


async def test_the_check_before_cash_asks_the_attempts_own_gateway(
    kasir: Kasir, order: Order, attempt: Payment, newer: FakePaymentGateway, both: Gateways
) -> None:
    cash = PayCash(kasir.uow, kasir.clock, kasir.references, both, reconciler(kasir, both))

    await cash.execute(order.key, tendered=order.total, caller=STAFF)

    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert newer.status_checks == []


async def test_a_gateway_cannot_settle_an_attempt_another_gateway_issued(
    kasir: Kasir, order: Order, attempt: Payment, newer: FakePaymentGateway, both: Gateways
) -> None:
    """Correctly signed by `newer`, but the attempt is Duitku's: newer cannot speak for it."""
    newer.transactions[attempt.attempt_id] = kasir.gateway.transactions[attempt.attempt_id]
    newer.pay(attempt.attempt_id)
    handler = HandlePaymentNotification(
        kasir.uow, both, reconciler(kasir, both), kasir.clock, kasir.scheduled_checks
    )

    handled = await handler.execute(newer.notification_for(attempt.attempt_id), gateway="newer")

    assert handled.outcome is AttemptOutcome.UNKNOWN_PAYMENT
    assert (kasir.gateway.status_checks, newer.status_checks) == ([], [])
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT


def test_an_attempt_naming_a_gateway_not_configured_is_refused_by_name(
    kasir: Kasir, both: Gateways
) -> None:
    with pytest.raises(UnknownGateway, match="midtrans"):
        both.named("midtrans")
    with pytest.raises(UnknownGateway, match="default"):
        Gateways({"duitku": kasir.gateway}, default="midtrans")
