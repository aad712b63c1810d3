"""Shifts, voids and refunds through the use cases on in-memory fakes: who may do what, where
the cash goes, and what each action leaves in the audit log."""

import pytest
from tests.support.kasir_on_fakes import Kasir, Menu

from application.callers import Role, Staff
from application.errors import (
    NotYourShift,
    OwnRefundApproval,
    ShiftAlreadyOpen,
    ShiftRequired,
)
from application.use_cases.refund_requests import RefundRequest
from domain.errors import ReasonRequired, RefundExceedsPaid
from domain.orders import Order, OrderStatus
from domain.refunds import RefundStatus
from domain.shifts import CashMovementKind, ShiftStatus

ADMIN = Staff("Ana", Role.ADMIN, staff_id="account:1")
OTHER_ADMIN = Staff("Rudi", Role.ADMIN, staff_id="account:4")
CASHIER = Staff("Budi", Role.CASHIER, staff_id="account:2")
OTHER_CASHIER = Staff("Dewi", Role.CASHIER, staff_id="account:3")


async def paid_in_cash(kasir: Kasir, order: Order, by: Staff = CASHIER) -> None:
    await kasir.pay_cash.execute(order.key, tendered=order.total, caller=by)


def actions(kasir: Kasir) -> list[tuple[str, str, str]]:
    return [(e.record.actor_id, e.record.action, e.record.subject) for e in kasir.store.audit]


async def test_cash_without_an_open_shift_is_refused_even_for_an_api_token(
    kasir: Kasir, order: Order
) -> None:
    before = kasir.snapshot()

    for caller in (CASHIER, Staff("pos-terminal")):
        with pytest.raises(ShiftRequired):
            await kasir.pay_cash.execute(order.key, tendered=order.total, caller=caller)

    assert kasir.snapshot() == before


async def test_cash_goes_into_the_takers_shift_and_the_x_report_counts_it(
    kasir: Kasir, order: Order
) -> None:
    [shift] = await kasir.open_drawers(CASHIER, opening_float=200_000)

    await kasir.pay_cash.execute(order.key, tendered=100_000, caller=CASHIER)

    report = await kasir.get_shift_report.execute(shift.key, caller=CASHIER)
    [cash] = [p for p in kasir.payments_of(order.key) if p.method.value == "cash"]
    assert (cash.shift_id, report.shift.cash_payments, report.shift.expected_cash) == (
        shift.key,
        55_000,
        255_000,
    )
    assert actions(kasir)[-1] == ("account:2", "payment.cash_taken", f"order:{order.key}")


async def test_one_open_shift_per_staff_member(kasir: Kasir) -> None:
    await kasir.open_drawers(CASHIER)

    with pytest.raises(ShiftAlreadyOpen):
        await kasir.open_shift.execute(opening_float=0, caller=CASHIER)


async def test_a_cashier_acts_only_on_their_own_shift_and_an_admin_force_closes_it(
    kasir: Kasir,
) -> None:
    [shift] = await kasir.open_drawers(CASHIER, opening_float=100_000)

    with pytest.raises(NotYourShift):
        await kasir.close_shift.execute(shift.key, counted_cash=0, note=None, caller=OTHER_CASHIER)
    with pytest.raises(NotYourShift):
        await kasir.record_cash_movement.execute(
            shift.key,
            kind=CashMovementKind.PAID_OUT,
            amount=1,
            reason="x",
            caller=OTHER_CASHIER,
        )
    with pytest.raises(NotYourShift):
        await kasir.get_shift_report.execute(shift.key, caller=OTHER_CASHIER)
    assert kasir.store.shifts[shift.key].is_open

    report = await kasir.close_shift.execute(
        shift.key, counted_cash=90_000, note="left at noon", caller=ADMIN
    )

    assert (report.shift.status, report.shift.force_closed, report.shift.difference) == (
        ShiftStatus.CLOSED,
        True,
        -10_000,
    )
    assert actions(kasir)[-1] == ("account:1", "shift.force_closed", f"shift:{shift.key}")


async def test_paid_out_and_close_answer_expected_counted_and_difference(kasir: Kasir) -> None:
    [shift] = await kasir.open_drawers(CASHIER, opening_float=100_000)
    await kasir.record_cash_movement.execute(
        shift.key, kind=CashMovementKind.PAID_OUT, amount=15_000, reason="ice", caller=CASHIER
    )

    report = await kasir.close_shift.execute(
        shift.key, counted_cash=85_000, note=None, caller=CASHIER
    )

    assert (report.shift.expected_at_close, report.shift.counted_cash, report.shift.difference) == (
        85_000,
        85_000,
        0,
    )
    assert [m.reason for m in report.movements] == ["ice"]
    assert [a for actor, a, _ in actions(kasir) if actor == CASHIER.staff_id] == [
        "shift.opened",
        "shift.paid_out",
        "shift.closed",
    ]


async def test_a_void_needs_a_reason_and_records_it(kasir: Kasir, order: Order) -> None:
    with pytest.raises(ReasonRequired):
        await kasir.cancel_order.execute(order.key, reason="  ", caller=CASHIER)
    assert kasir.order(order.key).status is OrderStatus.AWAITING_PAYMENT

    await kasir.cancel_order.execute(order.key, reason="the table left", caller=CASHIER)

    assert kasir.order(order.key).cancel_reason == "the table left"
    assert actions(kasir)[-1] == ("account:2", "order.voided", f"order:{order.key}")


async def test_a_cashiers_refund_waits_and_nothing_leaves_the_drawer_before_approval(
    kasir: Kasir, order: Order
) -> None:
    [shift] = await kasir.open_drawers(CASHIER, opening_float=0)
    await paid_in_cash(kasir, order)

    refund = await kasir.request_refund().execute(
        RefundRequest(order_id=order.key, amount=10_000, reason="cold soup"), caller=CASHIER
    )

    assert refund.status is RefundStatus.REQUESTED
    assert kasir.store.shifts[shift.key].cash_refunds == 0
    approved = await kasir.approve_refund.execute(refund.key, reference=None, caller=ADMIN)
    assert (approved.status, approved.shift_id) == (RefundStatus.APPROVED, shift.key)
    assert kasir.store.shifts[shift.key].expected_cash == 55_000 - 10_000
    assert [a for _, a, _ in actions(kasir)][-2:] == ["refund.requested", "refund.approved"]


async def test_an_admins_refund_at_or_below_the_threshold_is_approved_at_once(
    kasir: Kasir, order: Order
) -> None:
    [shift] = await kasir.open_drawers(ADMIN)
    await paid_in_cash(kasir, order, by=ADMIN)
    requesting = kasir.request_refund(approval_threshold=10_000)

    at_once = await requesting.execute(
        RefundRequest(order_id=order.key, amount=10_000, reason="cold"), caller=ADMIN
    )
    waits = await requesting.execute(
        RefundRequest(order_id=order.key, amount=10_001, reason="cold"), caller=ADMIN
    )

    assert (at_once.status, waits.status) == (RefundStatus.APPROVED, RefundStatus.REQUESTED)
    assert kasir.store.shifts[shift.key].cash_refunds == 10_000


async def test_nobody_approves_or_rejects_their_own_refund(kasir: Kasir, order: Order) -> None:
    await kasir.open_drawers(ADMIN)
    await paid_in_cash(kasir, order, by=ADMIN)
    refund = await kasir.request_refund(approval_threshold=0).execute(
        RefundRequest(order_id=order.key, amount=5_000, reason="cold"), caller=ADMIN
    )

    with pytest.raises(OwnRefundApproval):
        await kasir.approve_refund.execute(refund.key, reference=None, caller=ADMIN)
    with pytest.raises(OwnRefundApproval):
        await kasir.reject_refund.execute(refund.key, note=None, caller=ADMIN)

    assert kasir.store.refunds[refund.key].status is RefundStatus.REQUESTED


async def test_a_cash_refund_comes_out_of_the_approvers_shift_once_the_requesters_closed(
    kasir: Kasir, order: Order
) -> None:
    [cashiers] = await kasir.open_drawers(CASHIER)
    await paid_in_cash(kasir, order)
    refund = await kasir.request_refund().execute(
        RefundRequest(order_id=order.key, amount=5_000, reason="cold"), caller=CASHIER
    )
    await kasir.close_shift.execute(cashiers.key, counted_cash=55_000, note=None, caller=CASHIER)

    with pytest.raises(ShiftRequired):
        await kasir.approve_refund.execute(refund.key, reference=None, caller=ADMIN)
    [admins] = await kasir.open_drawers(ADMIN, opening_float=20_000)
    approved = await kasir.approve_refund.execute(refund.key, reference=None, caller=ADMIN)

    assert approved.shift_id == admins.key
    assert kasir.store.shifts[admins.key].expected_cash == 15_000
    assert kasir.store.shifts[cashiers.key].expected_at_close == 55_000


async def test_a_rejected_refund_frees_its_amount_for_another_request(
    kasir: Kasir, order: Order
) -> None:
    await kasir.open_drawers(CASHIER)
    await paid_in_cash(kasir, order)
    requesting = kasir.request_refund()
    first = await requesting.execute(
        RefundRequest(order_id=order.key, amount=order.total, reason="cold"), caller=CASHIER
    )
    with pytest.raises(RefundExceedsPaid):
        await requesting.execute(
            RefundRequest(order_id=order.key, amount=1, reason="cold"), caller=OTHER_CASHIER
        )

    await kasir.reject_refund.execute(first.key, note="not owed", caller=ADMIN)

    again = await requesting.execute(
        RefundRequest(order_id=order.key, amount=order.total, reason="cold"), caller=CASHIER
    )
    assert again.status is RefundStatus.REQUESTED
    assert kasir.order(order.key).refund_reserved == order.total


async def test_a_qris_refund_is_approved_with_the_reference_of_the_transfer(
    kasir: Kasir, menu: Menu
) -> None:
    placed = await kasir.place((menu.es_teh, 1))
    started = await kasir.start(placed)
    kasir.gateway.pay(started.payment.attempt_id)
    await kasir.reconciler.reconcile(started.payment.attempt_id)
    refund = await kasir.request_refund().execute(
        RefundRequest(order_id=placed.key, amount=5_000, reason="wrong drink"), caller=CASHIER
    )

    approved = await kasir.approve_refund.execute(refund.key, reference="BCA-0042", caller=ADMIN)

    assert (approved.method.value, approved.reference, approved.shift_id) == (
        "qris",
        "BCA-0042",
        None,
    )
