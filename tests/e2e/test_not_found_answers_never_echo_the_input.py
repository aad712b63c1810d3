"""A 404 says what was not found, never the id or path the caller sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack

ID = 987654  # distinctive enough to find in an answer
UID = f"KSR-echo{ID}"
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}


async def test_every_not_found_answer_leaves_the_callers_input_out(api: SimulatorStack) -> None:
    item = await api.add_menu_item()
    staff = api.staff
    requests: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = [
        ("GET", f"/api/v1/orders/{ID}", None, staff),
        ("POST", f"/api/v1/orders/{ID}/cancel", {"reason": "the table left"}, staff),
        ("GET", f"/api/v1/shifts/{ID}/report", None, staff),
        ("POST", f"/api/v1/orders/{ID}/refunds", {"amount": 1, "reason": "cold"}, staff),
        ("POST", f"/api/v1/refunds/{ID}/approve", {"reference": "TRF-1"}, staff),
        ("POST", "/api/v1/orders", {"items": [{"menu_item_id": ID, "quantity": 1}]}, {}),
        (
            "POST",
            "/api/v1/orders",
            {"items": [{"menu_item_id": item, "quantity": 1}, {"menu_item_id": ID, "quantity": 1}]},
            {},
        ),
        ("POST", "/api/v1/payments/cash", {"order_id": ID, "amount_tendered": 1000}, staff),
        (
            "POST",
            "/api/v1/payments/qris",
            {"order_id": ID, "amount": 1000, "customer_details": CUSTOMER},
            staff,
        ),
        ("GET", f"/api/v1/payments/{UID}", None, {}),
        ("GET", f"/api/v1/payments/{UID}/qris.png", None, {}),
        ("GET", f"/api/v1/payments/{UID}/qris.svg", None, {}),
        ("POST", f"/api/v1/payments/{UID}/refund/resolve", {"note": "done"}, staff),
        ("PATCH", f"/api/v1/menu-items/{ID}", {"price": 1000}, staff),
        ("POST", f"/api/v1/notifications/{ID}/reprocess", None, staff),
        ("POST", f"/api/v1/notifications/{ID}/review", {"note": "done"}, staff),
        ("GET", f"/no-such-page-{ID}", None, {}),
        ("GET", f"/api/v1/orders/echo{ID}", None, staff),
    ]
    for method, path, body, headers in requests:
        response = await api.client.request(method, path, json=body, headers=headers)
        api.error(response, 404, "not_found")
        assert str(ID) not in response.text, (method, path, response.text)
