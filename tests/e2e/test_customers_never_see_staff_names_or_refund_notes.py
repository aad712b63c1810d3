"""Staff names (who took the cash, who cancelled, who resolved a refund) and refund notes stay
in staff views: a customer reading their order with its token, or an attempt by its uid, never
sees them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

STAFF_NAME = "alice"  # the staff member the e2e stacks configure (conftest.STAFF_NAME)

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack

NOTE = "returned 50000 in cash at table 7 by the shift lead"


async def test_a_customer_never_sees_who_took_cash_or_resolved_their_refund(
    fake_api: FakeStack,
) -> None:
    api = fake_api
    order = await api.place_order()
    qris_uid = await api.started_qris(order)
    cash = await api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": order.id, "amount_tendered": order.total},
        headers=api.staff,
    )
    assert cash.status_code == 201, cash.text
    cash_uid = cash.json()["order_uid"]
    api.clock.advance(timedelta(seconds=30))
    api.gateway.pay(qris_uid)  # the closed QR paid anyway: a refund to make
    assert (await api.notify(api.notification(qris_uid))).json()["outcome"] == "refund_required"
    resolved = await api.client.post(
        f"/api/v1/payments/{qris_uid}/refund/resolve", json={"note": NOTE}, headers=api.staff
    )
    assert resolved.status_code == 200, resolved.text

    customer = await api.client.get(f"/api/v1/orders/{order.id}", headers=order.headers)
    staff = await api.client.get(f"/api/v1/orders/{order.id}", headers=api.staff)

    assert customer.status_code == staff.status_code == 200
    assert STAFF_NAME not in customer.text
    assert NOTE not in customer.text
    by_uid = {p["order_uid"]: p for p in customer.json()["payments"]}
    assert by_uid[cash_uid]["taken_by"] is None
    assert by_uid[qris_uid]["refund"]["resolved_at"] is not None  # the customer may know that
    assert by_uid[qris_uid]["refund"]["resolved_by"] is None
    assert by_uid[qris_uid]["refund"]["note"] is None
    staff_view = {p["order_uid"]: p for p in staff.json()["payments"]}
    assert staff_view[cash_uid]["taken_by"] == STAFF_NAME
    assert staff_view[qris_uid]["refund"]["resolved_by"] == STAFF_NAME
    assert staff_view[qris_uid]["refund"]["note"] == NOTE

    for uid in (cash_uid, qris_uid):
        anonymous = await api.client.get(f"/api/v1/payments/{uid}")
        assert anonymous.status_code == 200
        assert STAFF_NAME not in anonymous.text
        assert NOTE not in anonymous.text
        as_staff = await api.client.get(f"/api/v1/payments/{uid}", headers=api.staff)
        assert STAFF_NAME in as_staff.text


async def test_a_customer_never_sees_who_cancelled_their_order(api: SimulatorStack) -> None:
    order = await api.place_order()
    cancelled = await api.client.post(
        f"/api/v1/orders/{order.id}/cancel", json={"reason": "the table left"}, headers=api.staff
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled_by"] == STAFF_NAME  # the staff answer says who

    customer = await api.client.get(f"/api/v1/orders/{order.id}", headers=order.headers)

    assert customer.status_code == 200
    assert customer.json()["status"] == "cancelled"
    assert customer.json()["cancelled_by"] is None
    assert STAFF_NAME not in customer.text
    assert (await api.order(order.id))["cancelled_by"] == STAFF_NAME
