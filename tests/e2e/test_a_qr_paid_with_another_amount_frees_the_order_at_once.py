"""Through the simulator: a payer pays the QR with another amount. Duitku's signed callback
carries that amount; kasir lets Duitku's status decide (as for any success) instead of setting
the callback aside, so the attempt closes at once with a refund to make, and the order takes a
new QR (or cash) right after, not only once the attempt expires."""

from __future__ import annotations

from typing import TYPE_CHECKING

from entrypoints.duitku_simulator import DEFAULT_MOUNT_PATH

if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack


async def test_a_qr_paid_with_another_amount_is_closed_with_a_refund_and_the_order_pays_again(
    api: SimulatorStack,
) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)
    other_amount = order.total - 1_000

    paid = await api.client.post(
        f"{DEFAULT_MOUNT_PATH}/control/transactions/{uid}/pay", json={"amount": other_amount}
    )

    assert paid.status_code == 200, paid.text
    assert paid.json()["callback_delivered"]
    closed = await api.payment(uid)
    assert (closed["status"], closed["closed_reason"], closed["amount_received"]) == (
        "failed",
        "amount_mismatch",
        other_amount,
    )
    assert closed["refund"]["amount"] == other_amount
    assert (await api.order(order.id))["status"] == "awaiting_payment"
    again = await api.start_qris(order)
    assert again.status_code == 201, again.text
    assert again.json()["order_uid"] != uid
