"""The optional fallback: the next configured gateway issues the QR only when the first one
provably created nothing (never reached, or refused), never on an unknown outcome, and never
leaving two open QRs for one order."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.support.kasir_on_fakes import STAFF

from adapters.in_memory.gateway import FakePaymentGateway
from application.errors import (
    GatewayError,
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
)
from application.gateway import Customer
from application.gateways import Gateways
from application.reconciliation import AttemptReconciler
from application.reconciliation_schedule import DEFAULT_CREATING_GRACE
from application.use_cases.start_qris_payment import StartQrisPayment, StartQrisPaymentCommand
from domain.orders import Order
from domain.payments import PaymentStatus
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

pytestmark = pytest.mark.unit

CUSTOMER = Customer(name="Budi", email="budi@example.com")


@pytest.fixture
def second() -> FakePaymentGateway:
    return gateways.fake_gateway(reference_prefix="S")


def start(kasir: Kasir, configured: Gateways) -> StartQrisPayment:
    reconciler = AttemptReconciler(kasir.uow, configured, kasir.clock, kasir.events)
    return StartQrisPayment(kasir.uow, configured, kasir.clock, kasir.references, reconciler)


def with_fallback(kasir: Kasir, second: FakePaymentGateway, *, fallback: bool) -> Gateways:
    return Gateways({"duitku": kasir.gateway, "second": second}, "duitku", fallback=fallback)


@pytest.mark.parametrize(
    "refusal",
    [GatewayRejected("Failed to generate QR String"), GatewayUnavailable("connection refused")],
)
async def test_a_refused_or_unreached_first_gateway_hands_the_qr_to_the_next(
    kasir: Kasir, order: Order, second: FakePaymentGateway, refusal: GatewayError
) -> None:
    kasir.gateway.fail_next_create(refusal)

    started = await start(kasir, with_fallback(kasir, second, fallback=True)).execute(
        StartQrisPaymentCommand(order.key, order.total, CUSTOMER), caller=STAFF
    )

    assert started.payment.gateway == "second"
    assert started.payment.status is PaymentStatus.PENDING
    attempts = kasir.payments_of(order.key)
    assert [(p.gateway, p.status) for p in attempts] == [
        ("duitku", PaymentStatus.FAILED),
        ("second", PaymentStatus.PENDING),
    ]
    assert [r.attempt_id for r in second.create_requests] == [started.payment.attempt_id]


@pytest.mark.parametrize(
    "unknown", [GatewayTimeout("no answer"), GatewayOutcomeUnknown("HTTP 502")]
)
async def test_an_unknown_outcome_never_falls_back(
    kasir: Kasir, order: Order, second: FakePaymentGateway, unknown: GatewayError
) -> None:
    kasir.gateway.fail_next_create(unknown)

    with pytest.raises(GatewayOutcomeUnknown):
        await start(kasir, with_fallback(kasir, second, fallback=True)).execute(
            StartQrisPaymentCommand(order.key, order.total, CUSTOMER), caller=STAFF
        )

    assert second.create_requests == []
    assert [p.status for p in kasir.payments_of(order.key)] == [PaymentStatus.CREATING]


async def test_without_the_setting_a_refusal_is_the_answer(
    kasir: Kasir, order: Order, second: FakePaymentGateway
) -> None:
    kasir.gateway.fail_next_create(GatewayRejected("refused"))

    with pytest.raises(GatewayRejected):
        await start(kasir, with_fallback(kasir, second, fallback=False)).execute(
            StartQrisPaymentCommand(order.key, order.total, CUSTOMER), caller=STAFF
        )

    assert second.create_requests == []


async def test_the_fallback_is_tried_once_and_its_own_refusal_is_the_answer(
    kasir: Kasir, order: Order, second: FakePaymentGateway
) -> None:
    kasir.gateway.fail_next_create(GatewayRejected("first refused"))
    second.fail_next_create(GatewayRejected("second refused"))

    with pytest.raises(GatewayRejected, match="second refused"):
        await start(kasir, with_fallback(kasir, second, fallback=True)).execute(
            StartQrisPaymentCommand(order.key, order.total, CUSTOMER), caller=STAFF
        )

    assert [(p.gateway, p.status) for p in kasir.payments_of(order.key)] == [
        ("duitku", PaymentStatus.FAILED),
        ("second", PaymentStatus.FAILED),
    ]
    assert len(kasir.gateway.create_requests) == 1


def test_the_next_gateway_is_the_one_configured_after_and_never_back_to_the_first(
    kasir: Kasir, second: FakePaymentGateway
) -> None:
    configured = with_fallback(kasir, second, fallback=True)

    assert configured.fallback_after("duitku") == "second"
    assert configured.fallback_after(None) == "second"
    assert configured.fallback_after("second") is None
    assert configured.fallback_after("unknown") is None
    assert with_fallback(kasir, second, fallback=False).fallback_after("duitku") is None


@pytest.mark.parametrize("fallback", [True, False])
async def test_an_attempt_the_first_gateway_turns_out_never_to_have_created_hands_over_the_qr(
    kasir: Kasir, order: Order, second: FakePaymentGateway, fallback: bool
) -> None:
    # The create's answer never came (unknown: no fallback then); once the creating grace has
    # passed, the status check finds no such transaction at the first gateway: it created
    # nothing, so the next request's QR comes from the fallback gateway when one is configured.
    configured = with_fallback(kasir, second, fallback=fallback)
    kasir.gateway.fail_next_create(GatewayTimeout("no answer"))
    command = StartQrisPaymentCommand(order.key, order.total, CUSTOMER)
    with pytest.raises(GatewayOutcomeUnknown):
        await start(kasir, configured).execute(command, caller=STAFF)
    kasir.clock.advance(DEFAULT_CREATING_GRACE)

    started = await start(kasir, configured).execute(command, caller=STAFF)

    issued_by = "second" if fallback else "duitku"
    assert [(p.gateway, p.status) for p in kasir.payments_of(order.key)] == [
        ("duitku", PaymentStatus.FAILED),
        (issued_by, PaymentStatus.PENDING),
    ]
    assert started.payment.gateway == issued_by
    assert len(second.create_requests) == (1 if fallback else 0)


async def test_an_attempt_the_first_gateway_failed_itself_never_falls_back(
    kasir: Kasir, order: Order, second: FakePaymentGateway
) -> None:
    # The first gateway did create the transaction (it reports it failed): it works, so the
    # order's next QR is its own again.
    configured = with_fallback(kasir, second, fallback=True)
    kasir.gateway.time_out_next_create()
    command = StartQrisPaymentCommand(order.key, order.total, CUSTOMER)
    with pytest.raises(GatewayOutcomeUnknown):
        await start(kasir, configured).execute(command, caller=STAFF)
    (attempt,) = kasir.payments_of(order.key)
    kasir.gateway.fail(attempt.attempt_id)
    kasir.clock.advance(DEFAULT_CREATING_GRACE)

    started = await start(kasir, configured).execute(command, caller=STAFF)

    assert started.payment.gateway == "duitku"
    assert second.create_requests == []
