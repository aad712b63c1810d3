"""Every refused request leaves the orders, payments and menu exactly as they were."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack

STAFF = "staff"
ORDER = "order"
NOBODY = "nobody"

# (who, method, path, JSON body or raw bytes, status, code). In paths, {order} is the id of an
# order awaiting payment with a pending QRIS attempt {uid}, {paid} the id of a paid order, and
# {item} a menu item.
BAD_REQUESTS: list[tuple[str, str, str, Any, int, str]] = [
    (NOBODY, "POST", "/api/v1/orders", {"items": []}, 400, "invalid_request"),
    (
        NOBODY,
        "POST",
        "/api/v1/orders",
        {"items": [{"menu_item_id": 999, "quantity": 1}]},
        404,
        "not_found",
    ),
    (
        NOBODY,
        "POST",
        "/api/v1/orders",
        {"items": [{"menu_item_id": "{item}", "quantity": 0}]},
        400,
        "invalid_request",
    ),
    (
        NOBODY,
        "POST",
        "/api/v1/orders",
        {"items": [{"menu_item_id": "{item}", "quantity": 100}]},
        400,
        "invalid_request",
    ),
    (
        NOBODY,
        "POST",
        "/api/v1/orders",
        {"items": [{"menu_item_id": "{item}", "quantity": 1}], "total": 1},
        400,
        "invalid_request",
    ),
    (NOBODY, "POST", "/api/v1/orders", b"{not json", 400, "invalid_request"),
    (STAFF, "POST", "/api/v1/menu-items", {"name": "", "price": 1}, 400, "invalid_request"),
    (STAFF, "POST", "/api/v1/menu-items", {"name": "Teh", "price": -1}, 400, "invalid_request"),
    (STAFF, "POST", "/api/v1/menu-items", {"name": "Teh", "price": 1.5}, 400, "invalid_request"),
    (STAFF, "PATCH", "/api/v1/menu-items/999", {"price": 1}, 404, "not_found"),
    (STAFF, "PATCH", "/api/v1/menu-items/{item}", {"price": -1}, 400, "invalid_request"),
    (STAFF, "PATCH", "/api/v1/menu-items/{item}", {"colour": "red"}, 400, "invalid_request"),
    (
        ORDER,
        "POST",
        "/api/v1/payments/qris",
        {"order_id": "{order}", "amount": 1, "customer_details": {"name": "B", "email": "b@x.id"}},
        422,
        "amount_mismatch",
    ),
    (
        ORDER,
        "POST",
        "/api/v1/payments/qris",
        {"order_id": "{order}", "amount": 50_000, "customer_details": {"name": "B"}},
        400,
        "invalid_request",
    ),
    (
        STAFF,
        "POST",
        "/api/v1/payments/cash",
        {"order_id": "{order}", "amount_tendered": 49_999},
        422,
        "insufficient_cash",
    ),
    (
        STAFF,
        "POST",
        "/api/v1/payments/cash",
        {"order_id": "{paid}", "amount_tendered": 50_000},
        409,
        "order_not_payable",
    ),
    (STAFF, "POST", "/api/v1/payments/cash", {"order_id": "{order}"}, 400, "invalid_request"),
    (STAFF, "POST", "/api/v1/orders/{paid}/cancel", {"reason": "x"}, 409, "invalid_transition"),
    (STAFF, "POST", "/api/v1/orders/999/cancel", {"reason": "x"}, 404, "not_found"),
    (STAFF, "POST", "/api/v1/orders/{order}/cancel", None, 422, "reason_required"),
    (STAFF, "POST", "/api/v1/orders/{order}/cancel", {"reason": " "}, 422, "reason_required"),
    (STAFF, "POST", "/api/v1/payments/{uid}/refund/resolve", {"note": ""}, 400, "invalid_request"),
    (STAFF, "POST", "/api/v1/payments/{uid}/review/resolve", {"note": ""}, 400, "invalid_request"),
    (
        STAFF,
        "POST",
        "/api/v1/payments/{uid}/review/resolve",
        {"note": "nothing to review"},
        409,
        "invalid_transition",
    ),
    (
        STAFF,
        "POST",
        "/api/v1/payments/{uid}/refund/resolve",
        {"note": "no refund open"},
        409,
        "invalid_transition",
    ),
    (STAFF, "GET", "/api/v1/orders?status=lost", None, 400, "invalid_request"),
    (STAFF, "GET", "/api/v1/orders?limit=0", None, 400, "invalid_request"),
    (STAFF, "GET", "/api/v1/orders/not-a-number", None, 404, "not_found"),
    (NOBODY, "GET", "/api/v1/payments/" + "K" * 51, None, 400, "invalid_request"),
    (
        NOBODY,
        "POST",
        "/api/v1/webhooks/duitku",
        {"merchantOrderId": "{uid}"},
        415,
        "unsupported_media_type",
    ),
]


# The path templates of the OpenAPI document, for the paths above.
_TEMPLATES = [
    (re.compile(r"^/api/v1/menu-items/[^/]+$"), "/api/v1/menu-items/{item_id}"),
    (re.compile(r"^/api/v1/orders/\d+(/cancel)?$"), "/api/v1/orders/{order_id}\\1"),
    (
        re.compile(r"^/api/v1/payments/(?!qris$|cash$)[^/]+(/.*)?$"),
        "/api/v1/payments/{order_uid}\\1",
    ),
]


def _operation(method: str, path: str) -> str | None:
    """The documented operation a request is answered by; None when no route matched."""
    path = path.split("?", maxsplit=1)[0]
    if path == "/api/v1/orders/not-a-number":
        return None  # no route takes a non-numeric order id: the router's own 404
    for pattern, template in _TEMPLATES:
        path = pattern.sub(template, path)
    return f"{method} {path}"


def _fill(value: Any, names: dict[str, Any]) -> Any:
    """Put the ids in: a string that is exactly one placeholder becomes the id itself."""
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    if isinstance(value, str):
        for name, replacement in names.items():
            if value == f"{{{name}}}":
                return replacement
            value = value.replace(f"{{{name}}}", str(replacement))
    return value


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status", "code"),
    BAD_REQUESTS,
    ids=[f"{m} {p} {s}" for _, m, p, _, s, _ in BAD_REQUESTS],
)
async def test_a_refused_request_changes_nothing(
    api: SimulatorStack,
    who: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
) -> None:
    item = await api.add_menu_item("Nasi goreng", 25_000)
    order = await api.place_order((item, 2))
    uid = await api.started_qris(order)
    paid = await api.place_order((item, 2))
    cash = await api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": paid.id, "amount_tendered": paid.total},
        headers=api.staff,
    )
    assert cash.status_code == 201
    names = {"item": item, "order": order.id, "uid": uid, "paid": paid.id}
    headers = {STAFF: api.staff, ORDER: order.headers, NOBODY: {}}[who]
    before = api.snapshot()
    transactions = len(api.simulator.controller.all())

    if isinstance(body, bytes):
        response = await api.client.request(
            method,
            _fill(path, names),
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
    else:
        response = await api.client.request(
            method, _fill(path, names), json=_fill(body, names), headers=headers
        )

    api.error(response, status, code)
    assert api.snapshot() == before
    assert len(api.simulator.controller.all()) == transactions
    operation = _operation(method, _fill(path, names))
    if operation is not None:
        await api.documented(response, operation)
