"""Expiring overdue QRIS attempts once the gateway confirms them unpaid, reading orders and
payments, and staff resolving the refunds that late money creates."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import GatewayTimeout, GatewayUnavailable, NotFound
from application.reconciliation import AttemptOutcome
from application.reports import OrderFilter
from domain.errors import InvalidTransition
from domain.events import (
    OrderPaid,
    PaymentExpired,
    PaymentSucceeded,
    RefundApproved,
    RefundMade,
    RefundResolved,
)
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir, Menu

VALIDITY = timedelta(minutes=10)
FIRST_SLOT = VALIDITY + timedelta(minutes=2)  # the job's first check after the expiry


@pytest.mark.parametrize("gateway_side", ["failed", "unknown"])
async def test_an_overdue_attempt_the_gateway_did_not_collect_expires(
    kasir: Kasir, order: Order, attempt: Payment, gateway_side: str
) -> None:
    if gateway_side == "failed":
        kasir.gateway.fail(attempt.attempt_id)
    else:
        del kasir.gateway.transactions[attempt.attempt_id]
    kasir.clock.advance(FIRST_SLOT)

    report = await kasir.run_reconciliation.execute()

    assert report.outcomes == {attempt.attempt_id: AttemptOutcome.EXPIRED.value}
    assert report.errors == {}
    expired = kasir.payment(attempt.attempt_id)
    assert (expired.status, expired.status_reason, expired.updated_at) == (
        PaymentStatus.EXPIRED,
        "expired unpaid",
        kasir.clock.now(),
    )
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT
    assert kasir.events.published == [PaymentExpired(attempt.attempt_id, order.key)]
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    assert await kasir.queue.list_needing_review() == []


async def test_an_overdue_attempt_the_gateway_reports_paid_pays_the_order(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    kasir.clock.advance(FIRST_SLOT)

    report = await kasir.run_reconciliation.execute()

    assert report.outcomes == {attempt.attempt_id: AttemptOutcome.ORDER_PAID.value}
    paid = kasir.payment(attempt.attempt_id)
    assert (paid.status, paid.paid_at, paid.updated_at) == (
        PaymentStatus.SUCCEEDED,
        kasir.clock.now(),
        kasir.clock.now(),
    )
    assert kasir.order(order.key).paid_by_attempt == attempt.attempt_id
    assert kasir.events.published == [
        PaymentSucceeded(attempt.attempt_id, order.key, "qris", 55_000, "pending"),
        OrderPaid(order.key, attempt.attempt_id),
    ]


@pytest.mark.parametrize(
    "error", [GatewayUnavailable("status endpoint down"), GatewayTimeout("no answer")]
)
async def test_a_gateway_error_is_reported_and_changes_nothing(
    kasir: Kasir, attempt: Payment, error: GatewayUnavailable | GatewayTimeout
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    kasir.gateway.fail_next_status(error)
    kasir.clock.advance(FIRST_SLOT)
    before = kasir.snapshot()

    report = await kasir.run_reconciliation.execute()

    assert report.errors == {attempt.attempt_id: error.code}
    assert report.outcomes == {}
    assert kasir.snapshot() == before
    assert kasir.events.published == []


async def test_one_gateway_error_does_not_stop_the_other_expiries(
    kasir: Kasir, menu: Menu, order: Order, attempt: Payment
) -> None:
    second_order = await kasir.place((menu.es_teh, 2))
    second = (await kasir.start(second_order)).payment
    kasir.gateway.fail(attempt.attempt_id)
    kasir.gateway.fail(second.attempt_id)
    kasir.gateway.fail_next_status(GatewayUnavailable("flaky"))
    kasir.clock.advance(FIRST_SLOT)

    report = await kasir.run_reconciliation.execute()

    assert report.errors == {attempt.attempt_id: "gateway_unavailable"}
    assert report.outcomes == {second.attempt_id: AttemptOutcome.EXPIRED.value}
    assert kasir.payment(attempt.attempt_id).status is PaymentStatus.PENDING
    assert kasir.payment(second.attempt_id).status is PaymentStatus.EXPIRED


async def test_an_order_is_read_with_all_its_attempts(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    cash = await kasir.pay_cash.execute(order.key, tendered=60_000, caller=Staff("staff:sari"))

    details = await kasir.get_order.execute(order.key, caller=Staff("staff:sari"))

    assert details.order == kasir.order(order.key)
    assert [p.attempt_id for p in details.payments] == [attempt.attempt_id, cash.attempt_id]


async def test_reading_an_unknown_order_is_not_found(kasir: Kasir) -> None:
    with pytest.raises(NotFound):
        await kasir.get_order.execute(1, caller=Staff("staff:sari"))


async def test_orders_are_listed_newest_first_by_status(
    kasir: Kasir, menu: Menu, order: Order
) -> None:
    second = await kasir.place((menu.es_teh, 1))
    await kasir.pay_cash.execute(second.key, tendered=5_000, caller=Staff("staff:sari"))

    staff = Staff("staff:sari")
    everything = await kasir.list_orders.execute(caller=staff)
    assert [o.key for o in everything.orders] == [second.key, order.key]
    paid = await kasir.list_orders.execute(caller=staff, where=OrderFilter(status=OrderStatus.PAID))
    assert [o.key for o in paid.orders] == [second.key]
    older = await kasir.list_orders.execute(caller=staff, where=OrderFilter(before_id=second.key))
    assert [o.key for o in older.orders] == [order.key]


async def test_a_payment_is_read_by_its_merchant_order_id(kasir: Kasir, attempt: Payment) -> None:
    assert await kasir.get_payment.execute(attempt.attempt_id) == kasir.payment(attempt.attempt_id)


async def test_reading_an_unknown_payment_is_not_found(kasir: Kasir) -> None:
    with pytest.raises(NotFound):
        await kasir.get_payment.execute("KSR-NEVER-ISSUED")


async def _refund_owed(kasir: Kasir, order: Order, attempt: Payment) -> None:
    """The order is paid in cash, then its QR is paid too: that money must go back."""
    await kasir.pay_cash.execute(order.key, tendered=55_000, caller=Staff("staff:sari"))
    kasir.clock.advance(kasir.min_check_interval)  # the cashier's status check spent the budget
    kasir.gateway.pay(attempt.attempt_id)
    await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))
    kasir.forget_history()


async def test_a_refund_is_resolved_by_a_named_staff_member_with_a_note(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await _refund_owed(kasir, order, attempt)
    assert [p.attempt_id for p in await kasir.list_refunds.execute(caller=Staff("staff:sari"))] == [
        attempt.attempt_id
    ]
    kasir.clock.advance(timedelta(hours=2))

    resolved = await kasir.resolve_refund.execute(
        attempt.attempt_id, caller=Staff("staff:sari"), note="returned 55.000 in cash"
    )

    assert resolved == kasir.payment(attempt.attempt_id)
    assert (resolved.refund_resolved_at, resolved.refund_resolved_by, resolved.refund_note) == (
        kasir.clock.now(),
        "staff:sari",
        "returned 55.000 in cash",
    )
    assert kasir.events.published == [
        RefundResolved(attempt.attempt_id, order.key, "staff:sari"),
        # The system's refund request for that money is approved with the note as reference.
        RefundApproved(1, order.key, 55_000, "token:staff:sari"),
        RefundMade(1, order.key, 55_000, "qris", None, "returned 55.000 in cash"),
    ]
    assert await kasir.list_refunds.execute(caller=Staff("staff:sari")) == []
    everything = await kasir.list_refunds.execute(caller=Staff("staff:sari"), open_only=False)
    assert [p.attempt_id for p in everything] == [attempt.attempt_id]


async def test_a_refund_cannot_be_resolved_twice(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await _refund_owed(kasir, order, attempt)
    await kasir.resolve_refund.execute(attempt.attempt_id, caller=Staff("staff:sari"), note="done")
    before = kasir.snapshot()

    with pytest.raises(InvalidTransition, match="no open refund"):
        await kasir.resolve_refund.execute(
            attempt.attempt_id, caller=Staff("staff:budi"), note="again"
        )

    assert kasir.snapshot() == before
    assert len(kasir.published(RefundResolved)) == 1


async def test_a_payment_that_owes_no_refund_cannot_have_one_resolved(
    kasir: Kasir, attempt: Payment
) -> None:
    before = kasir.snapshot()

    with pytest.raises(InvalidTransition):
        await kasir.resolve_refund.execute(attempt.attempt_id, caller=Staff("staff:sari"), note="x")

    assert kasir.snapshot() == before


async def test_resolving_a_refund_of_an_unknown_payment_is_not_found(kasir: Kasir) -> None:
    with pytest.raises(NotFound):
        await kasir.resolve_refund.execute("KSR-NEVER-ISSUED", caller=Staff("staff:sari"), note="x")
