"""Who may call what: staff by bearer token; a customer only their own order, by its token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack

NOT_STAFF: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer not-a-staff-token-0000"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic YWxpY2U6YWxpY2UtdG9rZW4tMDEyMzQ1Njc4OQ=="},
    {"Authorization": "alice-token-0123456789"},
]

# Every staff-only endpoint, with a body that would be valid for staff, and its operation.
STAFF_ONLY: list[tuple[str, str, Any, str]] = [
    ("POST", "/api/v1/menu-items", {"name": "Sate ayam", "price": 30_000}, "/api/v1/menu-items"),
    ("PATCH", "/api/v1/menu-items/1", {"price": 1}, "/api/v1/menu-items/{item_id}"),
    ("GET", "/api/v1/orders", None, "/api/v1/orders"),
    ("GET", "/api/v1/orders?status=awaiting_payment", None, "/api/v1/orders"),
    (
        "POST",
        "/api/v1/orders/1/cancel",
        {"reason": "the table left"},
        "/api/v1/orders/{order_id}/cancel",
    ),
    ("POST", "/api/v1/shifts", {"opening_float": 100_000}, "/api/v1/shifts"),
    ("GET", "/api/v1/shifts/current", None, "/api/v1/shifts/current"),
    ("GET", "/api/v1/shifts/1/report", None, "/api/v1/shifts/{shift_id}/report"),
    (
        "POST",
        "/api/v1/shifts/1/cash-movements",
        {"kind": "paid_out", "amount": 10_000, "reason": "ice"},
        "/api/v1/shifts/{shift_id}/cash-movements",
    ),
    ("POST", "/api/v1/shifts/1/close", {"counted_cash": 0}, "/api/v1/shifts/{shift_id}/close"),
    (
        "POST",
        "/api/v1/orders/1/refunds",
        {"amount": 1_000, "reason": "cold soup"},
        "/api/v1/orders/{order_id}/refunds",
    ),
    ("GET", "/api/v1/refunds?status=requested", None, "/api/v1/refunds"),
    (
        "POST",
        "/api/v1/refunds/1/approve",
        {"reference": "x"},
        "/api/v1/refunds/{refund_id}/approve",
    ),
    ("POST", "/api/v1/refunds/1/reject", {"note": "no"}, "/api/v1/refunds/{refund_id}/reject"),
    (
        "POST",
        "/api/v1/payments/cash",
        {"order_id": 1, "amount_tendered": 100_000},
        "/api/v1/payments/cash",
    ),
    ("GET", "/api/v1/payments?refund_required=true", None, "/api/v1/payments"),
    (
        "POST",
        "/api/v1/payments/{uid}/refund/resolve",
        {"note": "paid back"},
        "/api/v1/payments/{order_uid}/refund/resolve",
    ),
    (
        "POST",
        "/api/v1/payments/{uid}/review/resolve",
        {"note": "dismissed"},
        "/api/v1/payments/{order_uid}/review/resolve",
    ),
    ("GET", "/api/v1/notifications", None, "/api/v1/notifications"),
    (
        "POST",
        "/api/v1/notifications/1/reprocess",
        None,
        "/api/v1/notifications/{entry_id}/reprocess",
    ),
    (
        "POST",
        "/api/v1/notifications/1/review",
        {"note": "checked"},
        "/api/v1/notifications/{entry_id}/review",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "template"), STAFF_ONLY)
async def test_staff_endpoints_answer_401_without_a_valid_staff_token_and_change_nothing(
    api: SimulatorStack, method: str, path: str, body: Any, template: str
) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)
    path = path.replace("{uid}", uid)
    before = api.snapshot()

    for headers in [*NOT_STAFF, order.headers]:
        response = await api.client.request(method, path, json=body, headers=headers)
        api.error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"
        await api.documented(response, f"{method} {template}")

    assert api.snapshot() == before


async def test_an_order_is_read_with_its_own_token_or_by_staff(api: SimulatorStack) -> None:
    order = await api.place_order()

    own = await api.client.get(f"/api/v1/orders/{order.id}", headers=order.headers)
    staff = await api.client.get(f"/api/v1/orders/{order.id}", headers=api.staff)

    assert own.status_code == 200
    assert staff.status_code == 200
    # The same order; the signed page link is signed afresh for each read (a new nonce).
    link = {"payment_page_url": ""}
    assert own.json() | link == staff.json() | link
    assert own.json()["payment_page_url"].startswith(f"http://testserver.local/pay/{order.id}?sig=")
    assert "access_token" not in own.json()


async def test_a_wrong_or_missing_token_answers_exactly_like_an_order_that_does_not_exist(
    api: SimulatorStack,
) -> None:
    mine = await api.place_order()
    theirs = await api.place_order()
    path = f"/api/v1/orders/{theirs.id}"

    foreign = await api.client.get(path, headers=mine.headers)
    garbage = await api.client.get(path, headers={"X-Order-Token": "x" * 32})
    anonymous = await api.client.get(path)
    not_staff = await api.client.get(path, headers={"Authorization": "Bearer guess-0123456789"})
    missing = await api.client.get(f"/api/v1/orders/{theirs.id + 1000}", headers=mine.headers)

    for response in (foreign, garbage, anonymous, not_staff, missing):
        error = api.error(response, 404, "not_found")
        assert response.content == missing.content
        assert str(theirs.total) not in response.text
        assert error["details"] is None
        assert "WWW-Authenticate" not in response.headers
        await api.documented(response, "GET /api/v1/orders/{order_id}")


async def test_another_orders_token_cannot_start_its_payment(api: SimulatorStack) -> None:
    mine = await api.place_order()
    theirs = await api.place_order()
    before = api.snapshot()

    response = await api.start_qris(theirs, headers=mine.headers)

    api.error(response, 404, "not_found")
    assert api.snapshot() == before
    assert api.simulator.controller.all() == []


async def test_a_payment_is_read_by_its_unguessable_uid(api: SimulatorStack) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)

    found = await api.client.get(f"/api/v1/payments/{uid}")
    guessed = await api.client.get(f"/api/v1/payments/KSR-{'0' * 32}")

    assert found.status_code == 200
    assert found.json()["order_id"] == order.id
    api.error(guessed, 404, "not_found")
