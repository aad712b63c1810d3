"""Idempotency-Key on POST /orders, /payments/qris and /payments/cash: a retry gets the first
answer, a reused key is refused, a key in flight is busy, failures are not kept."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from dependency_injector import providers
from tests.support.overrides import replace

from adapters.in_memory.gateway import FakePaymentGateway
from application.errors import GatewayUnavailable
from application.gateway import QrisCharge, QrisChargeRequest
from application.use_cases.idempotent_requests import DEFAULT_LEASE as LEASE
from application.use_cases.idempotent_requests import IdempotentRequests
from entrypoints import gateways
from entrypoints.background import run_pass

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, PlacedOrder


ORDERS = "/api/v1/orders"
QRIS = "/api/v1/payments/qris"
CASH = "/api/v1/payments/cash"
KEY = "Idempotency-Key"
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": None}


def qris_body(order: PlacedOrder) -> dict[str, Any]:
    return {"order_id": order.id, "amount": order.total, "customer_details": CUSTOMER}


async def post_order(
    stack: FakeStack, item: int, key: str, *, quantity: int = 1, table: str = "7"
) -> httpx.Response:
    return await stack.client.post(
        ORDERS,
        json={"items": [{"menu_item_id": item, "quantity": quantity}], "table_number": table},
        headers={KEY: key},
    )


async def qris(stack: FakeStack, order: PlacedOrder, key: str) -> httpx.Response:
    return await stack.client.post(QRIS, json=qris_body(order), headers={**order.headers, KEY: key})


class BrokenGateway(FakePaymentGateway):
    """A bug in the middle of the request: it ends in a 500."""

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        raise RuntimeError("bug")


class DiesWithoutReleasing(IdempotentRequests):
    """The process dies after its request: nothing gives the key back."""

    async def abandon(self, ticket: Any) -> None:
        return None


async def test_a_retried_order_gets_the_first_answer_and_places_one_order(
    fake_api: FakeStack,
) -> None:
    item = await fake_api.add_menu_item()

    first = await post_order(fake_api, item, "order-key-0000001")
    retry = await post_order(fake_api, item, "order-key-0000001")

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["content-type"] == first.headers["content-type"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert fake_api.count("orders") == 1
    await fake_api.documented(retry, f"POST {ORDERS}")


async def test_the_same_json_with_other_key_order_and_spacing_is_the_same_request(
    fake_api: FakeStack,
) -> None:
    item = await fake_api.add_menu_item()
    body = {"items": [{"menu_item_id": item, "quantity": 1}], "table_number": "7"}
    headers = {KEY: "order-key-0000002", "Content-Type": "application/json"}

    first = await fake_api.client.post(ORDERS, content=json.dumps(body), headers=headers)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    retry = await fake_api.client.post(ORDERS, content=reordered, headers=headers)

    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert fake_api.count("orders") == 1


async def test_a_key_reused_for_a_different_request_is_refused_with_422(
    fake_api: FakeStack,
) -> None:
    item = await fake_api.add_menu_item()
    await post_order(fake_api, item, "order-key-0000003")

    other = await post_order(fake_api, item, "order-key-0000003", quantity=2)

    fake_api.error(other, 422, "idempotency_key_reused")
    assert fake_api.count("orders") == 1
    await fake_api.documented(other, f"POST {ORDERS}")


async def test_one_key_from_two_callers_is_two_separate_requests(fake_api: FakeStack) -> None:
    first, second = await fake_api.place_order(), await fake_api.place_order()

    a = await qris(fake_api, first, "shared-key")
    b = await qris(fake_api, second, "shared-key")

    assert a.status_code == b.status_code == 201
    assert a.json()["order_uid"] != b.json()["order_uid"]
    assert len(fake_api.gateway.create_requests) == 2


@pytest.mark.parametrize(
    "key",
    [b"x" * 256, b"caf\xe9", b"tab\x01key"],
    ids=["256 characters", "not ASCII", "a control character"],
)
async def test_a_malformed_key_is_refused_with_400_and_changes_nothing(
    fake_api: FakeStack, key: bytes
) -> None:
    item = await fake_api.add_menu_item()
    before = fake_api.snapshot()

    response = await fake_api.client.post(
        ORDERS,
        json={"items": [{"menu_item_id": item, "quantity": 1}]},
        headers={KEY.encode(): key},
    )

    fake_api.error(response, 400, "invalid_request")
    assert fake_api.snapshot() == before
    await fake_api.documented(response, f"POST {ORDERS}")


async def test_a_qris_payment_retried_with_its_key_is_replayed_without_a_second_gateway_call(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()

    first = await qris(fake_api, order, "pay-key-1")
    retry = await qris(fake_api, order, "pay-key-1")
    without_key = await fake_api.start_qris(order)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert without_key.status_code == 200  # the pending attempt, handed out again
    assert len(fake_api.gateway.create_requests) == 1
    await fake_api.documented(retry, f"POST {QRIS}")


async def test_a_gateway_failure_is_not_kept_so_the_retry_runs_again(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    fake_api.gateway.fail_next_create(GatewayUnavailable("Duitku is down"))

    failed = await qris(fake_api, order, "pay-key-3")
    retry = await qris(fake_api, order, "pay-key-3")

    fake_api.error(failed, 502, "gateway_unavailable")
    assert retry.status_code == 201
    assert len(fake_api.gateway.create_requests) == 2


async def test_a_gateway_timeout_is_not_kept_and_the_retry_is_told_to_wait(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    fake_api.gateway.time_out_next_create()

    timed_out = await qris(fake_api, order, "pay-key-4")
    busy = await qris(fake_api, order, "pay-key-4")
    fake_api.clock.advance(fake_api.container.start_qris_payment().creating_grace)
    fresh = await qris(fake_api, order, "pay-key-4")

    fake_api.error(timed_out, 504, "gateway_timeout")
    fake_api.error(busy, 409, "payment_in_progress")
    assert fresh.status_code == 201


async def test_a_key_whose_request_died_is_free_again_once_its_lease_ran_out(
    fake_api: FakeStack,
) -> None:
    container = fake_api.container
    replace(
        container,
        idempotent_requests=providers.Factory(
            DiesWithoutReleasing,
            store=container.idempotency_store,
            clock=container.clock,
            sealer=container.replay_sealer,
        ),
        gateway=gateways.verified_fake(BrokenGateway, merchant_code="E2EFAKE"),
    )
    order = await fake_api.place_order()
    crashed = await qris(fake_api, order, "pay-key-5")
    replace(container, gateway=fake_api.gateway)

    stuck = await qris(fake_api, order, "pay-key-5")
    fake_api.clock.advance(LEASE - timedelta(seconds=1))
    still_stuck = await qris(fake_api, order, "pay-key-5")
    fake_api.clock.advance(timedelta(seconds=1))
    freed = await qris(fake_api, order, "pay-key-5")

    fake_api.error(crashed, 500, "internal_error")
    fake_api.error(stuck, 409, "idempotency_key_in_flight")
    fake_api.error(still_stuck, 409, "idempotency_key_in_flight")
    assert freed.status_code == 201, freed.text


async def test_kept_answers_are_purged_by_the_background_job_after_24_hours(
    fake_api: FakeStack,
) -> None:
    item = await fake_api.add_menu_item()
    await post_order(fake_api, item, "order-key-0000004")

    fake_api.clock.advance(timedelta(hours=23))
    early = await run_pass(fake_api.container, owner="test", housekeeping=False)
    fake_api.clock.advance(timedelta(hours=1))
    summary = await run_pass(fake_api.container, owner="test", housekeeping=False)
    reused = await post_order(fake_api, item, "order-key-0000004", quantity=3)

    assert early["idempotency_keys_purged"] == 0
    assert summary["idempotency_keys_purged"] == 1
    assert reused.status_code == 201
    assert fake_api.count("orders") == 2


async def test_cash_taken_twice_with_one_key_is_recorded_once(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    body = {"order_id": order.id, "amount_tendered": order.total + 5_000}
    headers = {**fake_api.staff, KEY: "cash-key-1"}

    first = await fake_api.client.post(CASH, json=body, headers=headers)
    retry = await fake_api.client.post(CASH, json=body, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert len((await fake_api.order(order.id))["payments"]) == 1
    await fake_api.documented(retry, f"POST {CASH}")


async def test_the_openapi_document_declares_the_header_and_its_answers(
    fake_api: FakeStack,
) -> None:
    document = (await fake_api.client.get("/schema/openapi.json")).json()

    for path in (ORDERS, QRIS, CASH):
        operation = document["paths"][path]["post"]
        [parameter] = [p for p in operation["parameters"] if p["name"] == KEY]
        assert parameter["in"] == "header"
        assert parameter["required"] is False
        assert parameter["schema"]["maxLength"] == 255
        assert {"400", "409", "422"} <= set(operation["responses"])


async def test_an_anonymous_caller_must_send_a_key_of_at_least_16_characters(
    fake_api: FakeStack,
) -> None:
    """Customers behind one NAT share an address, the only thing that scopes their keys."""
    item = await fake_api.add_menu_item()
    before = fake_api.snapshot()

    short = await post_order(fake_api, item, "order-key-00001")  # 15 characters

    error = fake_api.error(short, 400, "invalid_request")
    assert "at least 16 characters" in error["message"]
    assert fake_api.snapshot() == before
    await fake_api.documented(short, f"POST {ORDERS}")
    assert (await post_order(fake_api, item, "order-key-000001")).status_code == 201


async def test_a_caller_with_a_staff_or_order_token_may_send_a_short_key(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()

    assert (await qris(fake_api, order, "q1")).status_code == 201
    cash = await fake_api.client.post(
        CASH,
        json={"order_id": (await fake_api.place_order()).id, "amount_tendered": 100_000},
        headers={**fake_api.staff, KEY: "c1"},
    )
    assert cash.status_code == 201, cash.text
