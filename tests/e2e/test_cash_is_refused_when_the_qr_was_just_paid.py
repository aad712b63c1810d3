"""Over HTTP: the cashier's cash for an order whose QR was paid moments ago (its callback not
yet arrived) is refused with 409 `order_paid`, and the order shows paid by QRIS."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack


async def test_cash_for_an_order_whose_qr_was_just_paid_is_409_order_paid(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    fake_api.gateway.pay(uid)

    refused = await fake_api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": order.id, "amount_tendered": order.total},
        headers=fake_api.staff,
    )

    fake_api.error(refused, 409, "order_paid")
    await fake_api.documented(refused, "POST /api/v1/payments/cash")
    seen = await fake_api.order(order.id)
    assert seen["status"] == "paid"
    assert [(p["method"], p["status"]) for p in seen["payments"]] == [("qris", "succeeded")]
    assert fake_api.gateway.status_checks == [uid]
