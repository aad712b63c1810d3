"""Limits are for what fails: forgeries and rejected requests never lock out the genuine caller."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from application.errors import GatewayUnavailable
from entrypoints.duitku_simulator import DEV_API_KEY, DEV_MERCHANT_CODE

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack

WEBHOOK = "/api/v1/webhooks/duitku"
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}

# The simulator's callbacks reach the app from httpx.ASGITransport's default peer address,
# like Duitku's callbacks reach it from a shared proxy: a forger can send from there too.
SHARED_ADDRESS = "127.0.0.1"


def duitku_fields(attempt_id: str, amount: int) -> dict[str, str]:
    """A success callback as Duitku sends it, HMAC-signed with the simulator's key."""
    text = f"{DEV_MERCHANT_CODE}{amount}{attempt_id}"
    signature = hmac.new(DEV_API_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()
    return {
        "merchantCode": DEV_MERCHANT_CODE,
        "amount": str(amount),
        "merchantOrderId": attempt_id,
        "resultCode": "00",
        "reference": "DS00001REF",
        "signature": signature,
    }


def client_from(api: SimulatorStack | FakeStack, address: str) -> httpx.AsyncClient:
    """A client whose TCP peer address is `address`, into the same running app."""
    transport = httpx.ASGITransport(app=api.client.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


class TestCallbacks:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limit_rejected_callbacks_per_minute": 10}

    async def test_a_genuine_callback_after_ten_forged_ones_from_its_address_pays_the_order(
        self, api: SimulatorStack
    ) -> None:
        order = await api.place_order()
        uid = await api.started_qris(order)
        forged = {**duitku_fields(uid, order.total), "signature": "0" * 64}
        async with client_from(api, SHARED_ADDRESS) as forger:
            codes = [(await forger.post(WEBHOOK, data=forged)).status_code for _ in range(12)]
        assert codes == [403] * 10 + [429] * 2
        stored = api.count("notification_inbox")

        paid = await api.pay(uid)  # the simulator's signed callback, from the same address

        assert paid.json()["callback_deliveries"][0]["status_code"] == 200, paid.text
        assert (await api.order(order.id))["status"] == "paid"
        assert api.count("notification_inbox") == stored + 1

    async def test_forgeries_over_the_limit_are_still_refused_before_any_write(
        self, api: SimulatorStack
    ) -> None:
        order = await api.place_order()
        uid = await api.started_qris(order)
        forged = {**duitku_fields(uid, order.total), "signature": "0" * 64}
        async with client_from(api, SHARED_ADDRESS) as forger:
            for _ in range(10):
                await forger.post(WEBHOOK, data=forged)
            stored = api.count("notification_inbox")
            refused = [
                await forger.post(WEBHOOK, data=forged),
                await forger.post(WEBHOOK, data={**forged, "merchantCode": "DS99999"}),
                await forger.post(WEBHOOK, data={"merchantOrderId": uid}),
                await forger.post(WEBHOOK, content=b"x", headers={"Content-Type": "text/plain"}),
            ]
        for response in refused:
            api.error(response, 429, "rate_limited")
            assert int(response.headers["Retry-After"]) >= 1
        assert api.count("notification_inbox") == stored
        assert (await api.order(order.id))["status"] == "awaiting_payment"


class TestCreationLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limit_create_per_minute": 3}

    async def test_rejected_orders_do_not_use_up_the_limit_of_a_shared_address(
        self, fake_api: FakeStack
    ) -> None:
        item = await fake_api.add_menu_item()
        valid = {"items": [{"menu_item_id": item, "quantity": 1}]}
        invalid_bodies: list[dict[str, Any]] = [
            {"items": []},
            {"items": [{"menu_item_id": 999_999, "quantity": 1}]},
            {"items": [{"menu_item_id": item, "quantity": 0}]},
        ]
        async with client_from(fake_api, "198.51.100.20") as neighbour:
            for _ in range(20):
                for body in invalid_bodies:
                    assert (await neighbour.post("/api/v1/orders", json=body)).status_code in (
                        400,
                        404,
                        422,
                    )
            codes = [
                (await neighbour.post("/api/v1/orders", json=valid)).status_code for _ in range(4)
            ]
        assert codes == [201] * 3 + [429]

    async def test_rejected_qris_requests_do_not_use_up_the_limit_of_a_shared_address(
        self, fake_api: FakeStack
    ) -> None:
        orders = [await fake_api.place_order() for _ in range(3)]
        async with client_from(fake_api, "198.51.100.21") as neighbour:
            for _ in range(20):
                wrong_amount = await neighbour.post(
                    "/api/v1/payments/qris",
                    json={"order_id": orders[0].id, "amount": 1, "customer_details": CUSTOMER},
                    headers=orders[0].headers,
                )
                assert wrong_amount.status_code in (400, 422), wrong_amount.text
                no_token = await neighbour.post(
                    "/api/v1/payments/qris",
                    json={"order_id": orders[0].id, "amount": 1, "customer_details": CUSTOMER},
                )
                assert no_token.status_code in (400, 401, 404), no_token.text
            codes = [
                (
                    await neighbour.post(
                        "/api/v1/payments/qris",
                        json={
                            "order_id": order.id,
                            "amount": order.total,
                            "customer_details": CUSTOMER,
                        },
                        headers=order.headers,
                    )
                ).status_code
                for order in [*orders, orders[0]]
            ]
        assert codes == [201] * 3 + [429]


class TestGatewayCallsStillCount:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limit_create_per_minute": 2}

    async def test_qris_requests_that_reached_the_gateway_count_even_when_it_failed(
        self, fake_api: FakeStack
    ) -> None:
        order = await fake_api.place_order()
        body = {"order_id": order.id, "amount": order.total, "customer_details": CUSTOMER}
        async with client_from(fake_api, "198.51.100.22") as client:
            codes = []
            for _ in range(3):
                fake_api.gateway.fail_next_create(GatewayUnavailable("the gateway is down"))
                response = await client.post(
                    "/api/v1/payments/qris", json=body, headers=order.headers
                )
                codes.append(response.status_code)
        assert codes == [502, 502, 429]
        assert len(fake_api.gateway.create_requests) == 2
