"""Duplicates that arrive together across processes, and a late success beside a newer QR."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from application.gateway import GatewayStatus
from application.reconciliation import AttemptOutcome
from domain.events import PaymentCancelled
from domain.payments import PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir, Menu


async def test_a_duplicate_waits_for_another_processs_running_check_and_answers_settled(
    kasir: Kasir, menu: Menu
) -> None:
    order = await kasir.place((menu.nasi_goreng, 1))
    uid = (await kasir.start(order)).payment.attempt_id
    kasir.gateway.pay(uid)
    notification = kasir.gateway.notification_for(uid)
    # Process A has claimed the status check and is still waiting for the gateway.
    gate = asyncio.Event()
    answer = kasir.gateway.check_status

    async def slow_check(attempt_id: str) -> GatewayStatus:
        await gate.wait()
        return await answer(attempt_id)

    kasir.gateway.check_status = slow_check  # type: ignore[method-assign]
    kasir.pause = asyncio.sleep  # B polls in real time while A's check runs
    first = asyncio.create_task(kasir.handle_notification.execute(notification))
    await asyncio.sleep(0.01)
    # Process B receives the duplicate meanwhile: its claim is refused, so it waits.
    second = asyncio.create_task(
        kasir.handle_notification_in_another_process().execute(notification)
    )
    await asyncio.sleep(0.01)
    gate.set()
    assert (await first).outcome is AttemptOutcome.ORDER_PAID
    assert (await second).outcome is AttemptOutcome.ALREADY_SETTLED
    assert kasir.gateway.status_checks == [uid]


async def test_a_duplicate_that_nobody_confirms_meanwhile_is_left_to_the_scheduled_check(
    kasir: Kasir, menu: Menu
) -> None:
    order = await kasir.place((menu.nasi_goreng, 1))
    uid = (await kasir.start(order)).payment.attempt_id
    notification = kasir.gateway.notification_for(uid)
    # The gateway still says pending: a check is scheduled for when the budget allows.
    first = await kasir.handle_notification_in_another_process().execute(notification)
    other_process = kasir.handle_notification_in_another_process()
    second = await other_process.execute(notification)
    assert first.outcome is second.outcome is AttemptOutcome.SCHEDULED
    assert kasir.queue.bookkeeping[uid].next_check_at == kasir.clock.now() + timedelta(seconds=30)
    assert kasir.gateway.status_checks == [uid]
    assert kasir.payment(uid).status is PaymentStatus.PENDING


async def test_the_process_that_just_checked_does_not_wait_for_itself(
    kasir: Kasir, menu: Menu
) -> None:
    order = await kasir.place((menu.nasi_goreng, 1))
    uid = (await kasir.start(order)).payment.attempt_id
    notification = kasir.gateway.notification_for(uid)
    waits: list[float] = []
    handler = kasir.handle_notification

    async def counting_sleep(seconds: float) -> None:
        waits.append(seconds)

    handler = type(handler)(
        handler.uow,
        handler.gateways,
        handler.reconciler,
        handler.clock,
        handler.scheduled_checks,
        sleep=counting_sleep,
    )
    for _ in range(3):
        assert (await handler.execute(notification)).outcome is AttemptOutcome.SCHEDULED
    assert waits == []
    kasir.clock.advance(timedelta(seconds=31))
    kasir.gateway.pay(uid)
    assert (await handler.execute(notification)).outcome is AttemptOutcome.ORDER_PAID


async def test_a_late_success_that_pays_the_order_cancels_its_newer_open_qr(
    kasir: Kasir, menu: Menu
) -> None:
    order = await kasir.place((menu.nasi_goreng, 1))
    old = (await kasir.start(order)).payment.attempt_id
    kasir.gateway.fail(old)
    kasir.clock.advance(timedelta(minutes=12))
    await kasir.run_reconciliation.execute()
    assert kasir.payment(old).status is PaymentStatus.EXPIRED
    new = (await kasir.start(order)).payment.attempt_id
    kasir.clock.advance(timedelta(seconds=31))
    kasir.gateway.pay(old)  # the customer paid the old QR after all
    handled = await kasir.handle_notification.execute(kasir.gateway.notification_for(old))
    assert handled.outcome is AttemptOutcome.ORDER_PAID
    cancelled = kasir.payment(new)
    assert (cancelled.status, cancelled.status_reason, cancelled.updated_at) == (
        PaymentStatus.CANCELLED,
        f"order paid by attempt {old}",
        kasir.clock.now(),
    )
    # The screen still showing the newer QR is told it closed.
    assert PaymentCancelled(new, order.key, f"order paid by attempt {old}") in (
        kasir.events.published
    )
