"""Cancel at the gateway is a capability of the port: where the attempt's gateway can cancel,
cash and a cancelled order withdraw its QR there too, after kasir's own transaction; a failed
cancel never undoes what kasir decided, and a gateway without the capability is never asked."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from tests.support.kasir_on_fakes import STAFF

from adapters.in_memory.gateway import FakePaymentGateway
from application.errors import GatewayError, GatewayRejected, GatewayUnavailable
from application.gateway_cancellation import withdraw_closed_qr
from application.gateways import Gateways
from application.reconciliation import AttemptReconciler
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.pay_cash import PayCash
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

pytestmark = pytest.mark.unit


@pytest.fixture
def cancelling(kasir: Kasir) -> FakePaymentGateway:
    """kasir's fake gateway, given the cancel capability (as Midtrans has)."""
    kasir.gateway.cancels = True
    return kasir.gateway


def pay_cash(kasir: Kasir) -> PayCash:
    configured = Gateways.only(kasir.gateway)
    reconciler = AttemptReconciler(kasir.uow, configured, kasir.clock, kasir.events)
    return PayCash(kasir.uow, kasir.clock, kasir.references, configured, reconciler)


def cancel_order(kasir: Kasir) -> CancelOrder:
    return CancelOrder(kasir.uow, kasir.clock, Gateways.only(kasir.gateway))


async def _cash(kasir: Kasir, order: Order) -> None:
    await pay_cash(kasir).execute(order.key, tendered=order.total, caller=STAFF)


async def _cancel(kasir: Kasir, order: Order) -> None:
    await cancel_order(kasir).execute(order.key, reason="the table left", caller=STAFF)


CLOSERS = {"cash": _cash, "cancel": _cancel}


@pytest.mark.parametrize("closer", sorted(CLOSERS))
async def test_closing_the_order_cancels_its_qr_at_a_gateway_that_can(
    kasir: Kasir, order: Order, attempt: Payment, cancelling: FakePaymentGateway, closer: str
) -> None:
    await CLOSERS[closer](kasir, order)

    assert cancelling.cancelled == [attempt.attempt_id]
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.CANCELLED


@pytest.mark.parametrize("closer", sorted(CLOSERS))
async def test_a_gateway_without_the_capability_is_never_asked_to_cancel(
    kasir: Kasir, order: Order, attempt: Payment, closer: str
) -> None:
    assert not kasir.gateway.cancels_qris

    await CLOSERS[closer](kasir, order)

    assert kasir.gateway.cancelled == []
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.CANCELLED


@pytest.mark.parametrize("error", [GatewayUnavailable("down"), GatewayRejected("already settled")])
async def test_a_failed_cancel_never_undoes_the_cash(
    kasir: Kasir,
    order: Order,
    attempt: Payment,
    cancelling: FakePaymentGateway,
    error: GatewayError,
) -> None:
    cancelling.fail_next_cancel(error)

    await _cash(kasir, order)

    assert cancelling.cancelled == []
    assert kasir.order(order.key).status is OrderStatus.PAID
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.CANCELLED


class HangingCancel(FakePaymentGateway):
    async def cancel_qris(self, attempt_id: str) -> None:
        await asyncio.Event().wait()


async def test_a_cancel_that_never_answers_is_given_up_within_its_bound(
    kasir: Kasir, attempt: Payment, order: Order
) -> None:
    hanging = gateways.verified_fake(HangingCancel, cancels=True)
    await _cash(kasir, order)
    closed = kasir.payment(attempt.attempt_id)

    done = await withdraw_closed_qr(
        Gateways.only(hanging), closed, within=timedelta(milliseconds=10)
    )

    assert done is False


async def test_an_attempt_still_open_is_never_cancelled_at_its_gateway(
    kasir: Kasir, attempt: Payment, cancelling: FakePaymentGateway
) -> None:
    done = await withdraw_closed_qr(Gateways.only(cancelling), kasir.payment(attempt.attempt_id))

    assert done is False
    assert cancelling.cancelled == []
