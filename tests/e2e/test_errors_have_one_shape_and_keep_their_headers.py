"""Every error is {"error": {"code", "message", "details"}}, and keeps Allow / Retry-After."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from tests.support.overrides import replace

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack

CREATE_LIMIT = 3
REJECTED_CALLBACK_LIMIT = 2


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Low rate limits, so a test reaches them in a few requests."""
    return {
        "rate_limit_create_per_minute": CREATE_LIMIT,
        "rate_limit_rejected_callbacks_per_minute": REJECTED_CALLBACK_LIMIT,
    }


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/orders", {"GET", "POST"}),
        ("PUT", "/api/v1/menu-items", {"GET", "POST"}),
        ("GET", "/api/v1/payments/cash", {"POST"}),
        ("GET", "/api/v1/webhooks/duitku", {"POST"}),
    ],
)
async def test_a_wrong_method_is_405_with_the_allow_header(
    api: SimulatorStack, method: str, path: str, allowed: set[str]
) -> None:
    response = await api.client.request(method, path, headers=api.staff)

    api.error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allowed


async def test_an_unknown_path_is_404_in_the_same_shape(api: SimulatorStack) -> None:
    response = await api.client.get("/api/v1/nothing-here")

    api.error(response, 404, "not_found")


async def test_validation_errors_say_which_field_is_wrong(api: SimulatorStack) -> None:
    response = await api.client.post(
        "/api/v1/menu-items", json={"name": "Teh", "price": -5}, headers=api.staff
    )

    error = api.error(response, 400, "invalid_request")
    assert error["details"]
    assert any("price" in str(detail) for detail in error["details"])


async def test_creating_too_often_is_429_with_retry_after(api: SimulatorStack) -> None:
    item = await api.add_menu_item()
    body = {"items": [{"menu_item_id": item, "quantity": 1}]}
    answers = [await api.client.post("/api/v1/orders", json=body) for _ in range(CREATE_LIMIT)]
    assert [a.status_code for a in answers] == [201] * CREATE_LIMIT
    orders_before = api.count("orders")

    limited = await api.client.post("/api/v1/orders", json=body)

    api.error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert api.count("orders") == orders_before
    await api.documented(limited, "POST /api/v1/orders")


async def test_too_many_rejected_callbacks_are_429_with_retry_after_before_any_work(
    fake_api: FakeStack,
) -> None:
    forged = {
        "merchantCode": "E2EFAKE",
        "amount": "50000",
        "merchantOrderId": "KSR-x",
        "resultCode": "00",
        "signature": "f" * 64,
    }
    for _ in range(REJECTED_CALLBACK_LIMIT):
        fake_api.error(await fake_api.notify(forged), 403, "notification_rejected")
    stored = fake_api.count("notification_inbox")

    limited = await fake_api.notify(forged)

    fake_api.error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert fake_api.count("notification_inbox") == stored
    await fake_api.documented(limited, "POST /api/v1/webhooks/duitku")


async def test_payment_in_progress_keeps_its_retry_after(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    fake_api.gateway.time_out_next_create()
    assert (await fake_api.start_qris(order)).status_code == 504

    busy = await fake_api.start_qris(order)

    fake_api.error(busy, 409, "payment_in_progress")
    assert busy.headers["Retry-After"] == "5"
    await fake_api.documented(busy, "POST /api/v1/payments/qris")


async def test_an_unconfirmed_callback_keeps_its_retry_after(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    fake_api.flag_for_review(uid)  # so kasir cannot schedule its own check and asks for a resend

    response = await fake_api.notify(fake_api.notification(uid))

    fake_api.error(response, 503, "status_unconfirmed")
    assert int(response.headers["Retry-After"]) >= 1
    await fake_api.documented(response, "POST /api/v1/webhooks/duitku")


async def test_a_body_over_the_limit_is_413(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    huge_json = {"items": [{"menu_item_id": 1, "quantity": 1}], "customer_name": "x" * 70_000}
    huge_form = {"merchantOrderId": "KSR-x", "productDetail": "x" * 20_000}
    before = fake_api.snapshot()

    too_big = await fake_api.client.post("/api/v1/orders", json=huge_json)
    too_big_callback = await fake_api.notify(huge_form)

    fake_api.error(too_big, 413, "request_too_large")
    fake_api.error(too_big_callback, 413, "request_too_large")
    assert fake_api.snapshot() == before
    assert order.id == 1
    await fake_api.documented(too_big, "POST /api/v1/orders")
    await fake_api.documented(too_big_callback, "POST /api/v1/webhooks/duitku")


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("POST", "/api/v1/menu-items", "POST /api/v1/menu-items"),
        ("PATCH", "/api/v1/menu-items/1", "PATCH /api/v1/menu-items/{item_id}"),
        ("POST", "/api/v1/payments/qris", "POST /api/v1/payments/qris"),
        ("POST", "/api/v1/payments/cash", "POST /api/v1/payments/cash"),
        (
            "POST",
            "/api/v1/payments/KSR-x/refund/resolve",
            "POST /api/v1/payments/{order_uid}/refund/resolve",
        ),
        (
            "POST",
            "/api/v1/payments/KSR-x/review/resolve",
            "POST /api/v1/payments/{order_uid}/review/resolve",
        ),
        ("POST", "/api/v1/notifications/1/review", "POST /api/v1/notifications/{entry_id}/review"),
    ],
)
async def test_every_body_over_the_limit_is_a_documented_413(
    api: SimulatorStack, method: str, path: str, operation: str
) -> None:
    await api.add_menu_item()
    before = api.snapshot()

    response = await api.client.request(
        method, path, json={"note": "x" * 70_000}, headers=api.staff
    )

    api.error(response, 413, "request_too_large")
    assert api.snapshot() == before
    await api.documented(response, operation)


class _Exploding:
    async def execute(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("db password is hunter2")


async def test_an_unexpected_failure_is_500_without_any_detail(api: SimulatorStack) -> None:
    replace(api.container, get_payment=_Exploding())

    response = await api.client.get("/api/v1/payments/KSR-anything")

    error = api.error(response, 500, "internal_error")
    assert error["message"] == "internal error"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
