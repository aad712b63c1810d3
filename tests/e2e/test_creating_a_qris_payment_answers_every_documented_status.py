"""POST /api/v1/payments/qris: every status of the issue's table, each for its own reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from application.errors import GatewayOutcomeUnknown, GatewayRejected, GatewayUnavailable

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack

QRIS = "/api/v1/payments/qris"
OPERATION = "POST /api/v1/payments/qris"
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": None}


async def test_201_for_a_new_attempt_and_200_for_the_same_attempt_still_pending(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()

    created = await fake_api.start_qris(order)
    again = await fake_api.start_qris(order)

    assert created.status_code == 201, created.text
    assert again.status_code == 200, again.text
    assert again.json()["order_uid"] == created.json()["order_uid"]
    assert again.json()["status"] == "pending"
    assert len(fake_api.gateway.create_requests) == 1
    await fake_api.documented(created, OPERATION)
    await fake_api.documented(again, OPERATION)


async def test_staff_may_start_a_qris_payment_without_the_order_token(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()

    response = await fake_api.start_qris(order, headers=fake_api.staff)

    assert response.status_code == 201, response.text


async def test_409_payment_in_progress_with_retry_after_while_an_attempt_is_creating(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    fake_api.gateway.time_out_next_create()
    timed_out = await fake_api.start_qris(order)
    fake_api.error(timed_out, 504, "gateway_timeout")
    [attempt] = (await fake_api.order(order.id))["payments"]
    assert attempt["status"] == "creating"

    busy = await fake_api.start_qris(order)

    fake_api.error(busy, 409, "payment_in_progress")
    assert int(busy.headers["Retry-After"]) >= 1
    assert len(fake_api.gateway.create_requests) == 1
    await fake_api.documented(timed_out, OPERATION)
    await fake_api.documented(busy, OPERATION)

    # Past the grace period the gateway is asked; its QR was never shown, so a new one is made.
    fake_api.clock.advance(fake_api.container.start_qris_payment().creating_grace)
    fresh = await fake_api.start_qris(order)
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["order_uid"] != attempt["order_uid"]
    statuses = {p["order_uid"]: p["status"] for p in (await fake_api.order(order.id))["payments"]}
    assert statuses[attempt["order_uid"]] == "cancelled"


async def test_404_for_an_unknown_order(fake_api: FakeStack) -> None:
    response = await fake_api.client.post(
        QRIS,
        json={"order_id": 424242, "amount": 50_000, "customer_details": CUSTOMER},
        headers=fake_api.staff,
    )

    fake_api.error(response, 404, "not_found")
    assert fake_api.gateway.create_requests == []
    await fake_api.documented(response, OPERATION)


@pytest.mark.parametrize("settle", ["cash", "cancel"])
async def test_409_when_the_order_is_already_paid_or_cancelled(
    fake_api: FakeStack, settle: str
) -> None:
    order = await fake_api.place_order()
    if settle == "cash":
        done = await fake_api.client.post(
            "/api/v1/payments/cash",
            json={"order_id": order.id, "amount_tendered": order.total},
            headers=fake_api.staff,
        )
    else:
        done = await fake_api.client.post(
            f"/api/v1/orders/{order.id}/cancel",
            json={"reason": "the table left"},
            headers=fake_api.staff,
        )
    assert done.status_code in (200, 201)
    before = fake_api.snapshot()

    response = await fake_api.start_qris(order)

    fake_api.error(response, 409, "order_not_payable")
    assert fake_api.snapshot() == before
    assert fake_api.gateway.create_requests == []
    await fake_api.documented(response, OPERATION)


@pytest.mark.parametrize("delta", [-1, 1, -50_000])
async def test_422_amount_mismatch_when_the_amount_is_not_the_order_total(
    fake_api: FakeStack, delta: int
) -> None:
    order = await fake_api.place_order()
    before = fake_api.snapshot()

    response = await fake_api.start_qris(order, amount=order.total + delta)

    fake_api.error(response, 422, "amount_mismatch")
    assert fake_api.snapshot() == before
    assert fake_api.gateway.create_requests == []
    await fake_api.documented(response, OPERATION)


MALFORMED: list[Any] = [
    {"amount": 50_000, "customer_details": CUSTOMER},
    {"order_id": "one", "amount": 50_000, "customer_details": CUSTOMER},
    {"order_id": 1, "amount": 50_000.5, "customer_details": CUSTOMER},
    {"order_id": 1, "amount": -1, "customer_details": CUSTOMER},
    {"order_id": 0, "amount": 50_000, "customer_details": CUSTOMER},
    {"order_id": 1, "amount": 50_000},
    {"order_id": 1, "amount": 50_000, "customer_details": {**CUSTOMER, "email": "not-an-email"}},
    {"order_id": 1, "amount": 50_000, "customer_details": {**CUSTOMER, "name": ""}},
    {"order_id": 1, "amount": 50_000, "customer_details": {**CUSTOMER, "phone": "call me"}},
    {"order_id": 1, "amount": 50_000, "customer_details": CUSTOMER, "currency": "IDR"},
    [1, 2, 3],
    None,
]


@pytest.mark.parametrize("body", MALFORMED)
async def test_400_for_a_malformed_body(fake_api: FakeStack, body: Any) -> None:
    await fake_api.place_order()
    before = fake_api.snapshot()

    response = await fake_api.client.post(QRIS, json=body, headers=fake_api.staff)

    fake_api.error(response, 400, "invalid_request")
    assert fake_api.snapshot() == before
    await fake_api.documented(response, OPERATION)


async def test_400_for_a_body_that_is_not_json(fake_api: FakeStack) -> None:
    response = await fake_api.client.post(
        QRIS,
        content=b"order_id=1&amount=50000",
        headers={**fake_api.staff, "Content-Type": "application/json"},
    )

    fake_api.error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            GatewayRejected("the gateway refused", detail="Minimum Payment 10000 IDR"),
            "gateway_rejected",
        ),
        (GatewayUnavailable("the gateway is down"), "gateway_unavailable"),
    ],
)
async def test_502_when_the_gateway_refuses_or_fails_and_the_attempt_is_closed(
    fake_api: FakeStack, error: Exception, code: str
) -> None:
    order = await fake_api.place_order()
    fake_api.gateway.fail_next_create(error)  # type: ignore[arg-type]

    response = await fake_api.start_qris(order)

    body = fake_api.error(response, 502, code)
    assert "Minimum Payment" not in body["message"]  # the gateway's own words stay in the logs
    await fake_api.documented(response, OPERATION)
    [attempt] = (await fake_api.order(order.id))["payments"]
    assert attempt["status"] == "failed"
    assert (await fake_api.start_qris(order)).status_code == 201


async def test_504_when_the_gateway_does_not_answer_in_time(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    fake_api.gateway.time_out_next_create()

    response = await fake_api.start_qris(order)

    fake_api.error(response, 504, "gateway_timeout")
    assert (await fake_api.order(order.id))["status"] == "awaiting_payment"
    await fake_api.documented(response, OPERATION)


async def test_502_when_the_gateway_answer_is_unreadable_and_the_attempt_stays_creating(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    fake_api.gateway.fail_next_create(GatewayOutcomeUnknown("Duitku failed: HTTP 500"))

    response = await fake_api.start_qris(order)

    fake_api.error(response, 502, "gateway_outcome_unknown")
    await fake_api.documented(response, OPERATION)
    [attempt] = (await fake_api.order(order.id))["payments"]
    assert attempt["status"] == "creating"  # the status check decides, not this answer
    busy = await fake_api.start_qris(order)
    fake_api.error(busy, 409, "payment_in_progress")
    assert len(fake_api.gateway.create_requests) == 1


async def test_404_like_an_unknown_order_without_a_token_or_with_another_orders_token(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    other = await fake_api.place_order()
    before = fake_api.snapshot()

    anonymous = await fake_api.start_qris(order, headers={})
    foreign = await fake_api.start_qris(order, headers=other.headers)
    wrong_staff = await fake_api.start_qris(order, headers={"Authorization": "Bearer nope"})
    unknown = await fake_api.client.post(
        QRIS,
        json={"order_id": order.id + 1000, "amount": order.total, "customer_details": CUSTOMER},
        headers=order.headers,
    )

    for response in (anonymous, foreign, wrong_staff, unknown):
        fake_api.error(response, 404, "not_found")
        assert response.content == unknown.content
        await fake_api.documented(response, OPERATION)
    assert fake_api.snapshot() == before
    assert fake_api.gateway.create_requests == []
