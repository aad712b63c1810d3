"""The reconciler asks the gateway about one attempt at a time: concurrent requests for the same
attempt share one check (and only the one that ran it is told it paid the order), requests for
different attempts never share, and a spent budget names when to ask again (never 0 s)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from adapters.in_memory.gateway import FakePaymentGateway
from application.errors import GatewayTimeout, StatusCheckDeferred
from application.gateway import GatewayStatus
from application.reconciliation import AttemptOutcome
from domain.payments import PaymentStatus
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir, Menu

    from domain.orders import Order
    from domain.payments import Payment


class YieldingGateway(FakePaymentGateway):
    """A status check that lets every other task run first, as a network call would."""

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        await asyncio.sleep(0)
        return await super().check_status(attempt_id)


async def test_concurrent_checks_of_one_paid_attempt_pay_it_once_and_the_joiner_is_told_so(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway = gateways.verified_fake(YieldingGateway)
    attempt = (await kasir.start(order)).payment
    kasir.gateway.pay(attempt.attempt_id)
    kasir.forget_history()

    outcomes = await asyncio.gather(
        kasir.reconciler.reconcile(attempt.attempt_id),
        kasir.reconciler.reconcile(attempt.attempt_id),
    )

    # The first request ran the check; the second joined it and did not pay anything itself.
    assert list(outcomes) == [AttemptOutcome.ORDER_PAID, AttemptOutcome.ALREADY_SETTLED]
    assert kasir.gateway.status_checks == [attempt.attempt_id]


async def test_a_request_that_joins_a_check_finding_it_pending_is_told_it_is_pending(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway = gateways.verified_fake(YieldingGateway)
    attempt = (await kasir.start(order)).payment
    kasir.forget_history()

    outcomes = await asyncio.gather(
        kasir.reconciler.reconcile(attempt.attempt_id),
        kasir.reconciler.reconcile(attempt.attempt_id),
    )

    assert list(outcomes) == [AttemptOutcome.STILL_PENDING, AttemptOutcome.STILL_PENDING]
    assert kasir.gateway.status_checks == [attempt.attempt_id]


async def test_concurrent_checks_of_different_attempts_each_ask_the_gateway_about_their_own(
    kasir: Kasir, menu: Menu
) -> None:
    kasir.gateway = gateways.verified_fake(YieldingGateway)
    paid = (await kasir.start(await kasir.place((menu.nasi_goreng, 1)))).payment
    pending = (await kasir.start(await kasir.place((menu.es_teh, 1)))).payment
    kasir.gateway.pay(paid.attempt_id)
    kasir.forget_history()

    outcomes = await asyncio.gather(
        kasir.reconciler.reconcile(paid.attempt_id),
        kasir.reconciler.reconcile(pending.attempt_id),
    )

    assert list(outcomes) == [AttemptOutcome.ORDER_PAID, AttemptOutcome.STILL_PENDING]
    assert kasir.gateway.status_checks == [paid.attempt_id, pending.attempt_id]


@pytest.mark.parametrize(
    ("interval", "retry_after"),
    [
        (timedelta(milliseconds=500), 1),  # never "retry after 0 s"
        (timedelta(seconds=1), 1),
        (timedelta(seconds=90), 90),
    ],
)
async def test_a_check_refused_by_the_spent_budget_says_to_ask_again_after_the_interval(
    kasir: Kasir, attempt: Payment, interval: timedelta, retry_after: int
) -> None:
    kasir.min_check_interval = interval
    await kasir.reconciler.reconcile(attempt.attempt_id)

    with pytest.raises(StatusCheckDeferred) as deferred:
        await kasir.reconciler.reconcile(attempt.attempt_id)

    assert deferred.value.retry_after == retry_after
    assert kasir.gateway.status_checks == [attempt.attempt_id]


async def test_a_check_abandons_an_attempt_whose_answer_was_lost_only_when_asked_to(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway.time_out_next_create()
    with pytest.raises(GatewayTimeout):
        await kasir.start(order)
    [lost] = kasir.payments_of(order.key)

    checked = await kasir.reconciler.check(lost.attempt_id)

    # Only a caller that knows its QR was never shown may close it (the job, after the grace).
    assert checked.outcome is AttemptOutcome.STILL_PENDING
    assert kasir.payment(lost.attempt_id).status is PaymentStatus.CREATING
