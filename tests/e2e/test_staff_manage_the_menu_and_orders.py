"""The menu (read by anyone, changed by staff), order listing and cancelling, health."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack


async def test_the_menu_is_public_and_staff_add_and_change_items(api: SimulatorStack) -> None:
    nasi = await api.add_menu_item("Nasi goreng", 25_000)
    sate = await api.add_menu_item("Sate ayam", 30_000)

    changed = await api.client.patch(
        f"/api/v1/menu-items/{sate}", json={"available": False, "price": 32_000}, headers=api.staff
    )
    everything = await api.client.get("/api/v1/menu-items")
    available = await api.client.get("/api/v1/menu-items", params={"available_only": "true"})

    assert changed.status_code == 200, changed.text
    assert changed.json() == {"id": sate, "name": "Sate ayam", "price": 32_000, "available": False}
    assert {item["id"] for item in everything.json()} == {nasi, sate}
    assert [item["id"] for item in available.json()] == [nasi]


async def test_an_order_takes_its_prices_from_the_menu_not_the_client(
    api: SimulatorStack,
) -> None:
    item = await api.add_menu_item("Nasi goreng", 25_000)

    placed = await api.client.post(
        "/api/v1/orders",
        json={
            "items": [{"menu_item_id": item, "quantity": 2}, {"menu_item_id": item, "quantity": 1}],
            "customer_name": "Sari",
        },
    )

    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["total"] == 75_000
    assert body["lines"] == [
        {
            "menu_item_id": item,
            "name": "Nasi goreng",
            "unit_price": 25_000,
            "quantity": 3,
            "subtotal": 75_000,
        }
    ]
    assert body["customer_name"] == "Sari"
    assert len(body["access_token"]) >= 20
    # A later price change does not touch a placed order.
    await api.client.patch(f"/api/v1/menu-items/{item}", json={"price": 1}, headers=api.staff)
    assert (await api.order(body["id"]))["total"] == 75_000


async def test_staff_list_orders_by_status_newest_first_page_by_page(
    api: SimulatorStack,
) -> None:
    item = await api.add_menu_item()
    orders = [await api.place_order((item, 1)) for _ in range(3)]
    cash = await api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": orders[1].id, "amount_tendered": 25_000},
        headers=api.staff,
    )
    assert cash.status_code == 201

    waiting = await api.client.get(
        "/api/v1/orders", params={"status": "awaiting_payment"}, headers=api.staff
    )
    paid = await api.client.get("/api/v1/orders", params={"status": "paid"}, headers=api.staff)
    page_one = await api.client.get("/api/v1/orders", params={"limit": 2}, headers=api.staff)
    page_two = await api.client.get(
        "/api/v1/orders",
        params={"limit": 2, "before_id": page_one.json()["next_before_id"]},
        headers=api.staff,
    )

    assert [o["id"] for o in waiting.json()["items"]] == [orders[2].id, orders[0].id]
    assert [o["id"] for o in paid.json()["items"]] == [orders[1].id]
    assert [o["id"] for o in page_one.json()["items"]] == [orders[2].id, orders[1].id]
    assert [o["id"] for o in page_two.json()["items"]] == [orders[0].id]
    assert page_two.json()["next_before_id"] is None


async def test_staff_cancel_an_unpaid_order_and_its_open_qris_attempt(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)

    cancelled = await fake_api.client.post(
        f"/api/v1/orders/{order.id}/cancel",
        json={"reason": "the table left"},
        headers=fake_api.staff,
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_by"] == "alice"
    assert (await fake_api.payment(uid))["status"] == "cancelled"
    again = await fake_api.client.post(
        f"/api/v1/orders/{order.id}/cancel",
        json={"reason": "the table left"},
        headers=fake_api.staff,
    )
    fake_api.error(again, 409, "invalid_transition")
    # Money that arrives anyway for the cancelled order is flagged for refund, never lost.
    fake_api.gateway.pay(uid)
    late = await fake_api.notify(fake_api.notification(uid))
    assert late.json()["outcome"] == "refund_required"
    assert (await fake_api.order(order.id))["status"] == "cancelled"


async def test_health_and_readiness_answer_200(api: SimulatorStack) -> None:
    health = await api.client.get("/health")
    ready = await api.client.get("/ready")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_the_openapi_document_describes_the_api_but_not_the_simulator(
    api: SimulatorStack,
) -> None:
    response = await api.client.get("/schema/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/payments/qris" in paths
    assert "/api/v1/webhooks/duitku" in paths
    assert not [path for path in paths if path.startswith("/simulator")]
