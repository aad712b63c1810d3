"""The README flow end to end: order, QRIS, QR image, the payer pays, the order is paid."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from application.errors import GatewayUnavailable
from entrypoints.duitku_simulator.qris_payload import crc_is_valid, parse_tlv

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack

BASE_URL = "http://testserver.local"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(image: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert image.startswith(PNG_MAGIC)
    length, kind = struct.unpack(">I4s", image[8:16])
    assert kind == b"IHDR"
    assert length == 13
    width, height = struct.unpack(">II", image[16:24])
    return int(width), int(height)


async def test_the_readme_flow_pays_an_order_through_the_simulator(
    gateway_api: SimulatorStack,
) -> None:
    """Once per gateway issuing the attempt (both configured at once)."""
    api = gateway_api
    nasi = await api.add_menu_item("Nasi goreng", 25_000)
    teh = await api.add_menu_item("Es teh manis", 5_000)
    menu = await api.client.get("/api/v1/menu-items")
    assert menu.status_code == 200
    assert {item["name"] for item in menu.json()} == {"Nasi goreng", "Es teh manis"}

    # 1. The customer places an order: prices come from the menu.
    placed = await api.client.post(
        "/api/v1/orders",
        json={
            "items": [{"menu_item_id": nasi, "quantity": 2}, {"menu_item_id": teh, "quantity": 1}],
            "table_number": "7",
        },
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "awaiting_payment"
    assert order["total"] == 55_000
    token = order["access_token"]

    # 2. The customer asks to pay by QRIS, with the order's own token.
    qris = await api.client.post(
        "/api/v1/payments/qris",
        json={
            "order_id": order["id"],
            "amount": 55_000,
            "customer_details": {"name": "Budi", "email": "budi@example.com", "phone": None},
        },
        headers={"X-Order-Token": token},
    )
    assert qris.status_code == 201, qris.text
    attempt = qris.json()
    uid = attempt["order_uid"]
    assert set(attempt) == {
        "transaction_token",
        "qris_url",
        "order_uid",
        "qr_string",
        "payment_url",
        "amount",
        "status",
        "expires_at",
        "payment_page_url",
    }
    assert attempt["amount"] == 55_000
    assert attempt["status"] == "pending"
    assert attempt["transaction_token"]
    assert attempt["qr_string"].startswith("000201")  # an EMVCo QRIS payload
    assert attempt["qris_url"] == f"{BASE_URL}/api/v1/payments/{uid}/qris.png"
    assert attempt["payment_url"].startswith(f"{BASE_URL}{api.mount}/")
    await _the_qr_is_the_gateways_with_the_amount(api, uid, attempt["qr_string"], 55_000)

    # 3. The screen shows the QR code.
    png = await api.client.get(attempt["qris_url"])
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    width, height = _png_size(png.content)
    assert width == height >= 21 * 8  # square, at least a version-1 symbol at scale 8
    svg = await api.client.get(f"/api/v1/payments/{uid}/qris.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text

    # 4. The payer pays in the simulator; its signed callback reaches kasir in-process.
    paid = await api.pay(uid)
    assert paid.status_code == 200, paid.text
    assert paid.json()["state"] == "paid"
    assert paid.json()["callback_delivered"] is True
    assert [d["status_code"] for d in paid.json()["callback_deliveries"]] == [200]

    # 5. The order is paid, and the customer sees it with their token.
    seen = await api.client.get(f"/api/v1/orders/{order['id']}", headers={"X-Order-Token": token})
    assert seen.status_code == 200
    assert seen.json()["status"] == "paid"
    assert seen.json()["paid_at"] is not None
    assert [(p["order_uid"], p["status"]) for p in seen.json()["payments"]] == [(uid, "succeeded")]
    payment = await api.payment(uid)
    assert payment["status"] == "succeeded"
    assert payment["paid_at"] is not None

    # The callback was stored in the inbox, from Duitku, verified, with its outcome.
    inbox = await api.client.get("/api/v1/notifications", headers=api.staff)
    assert inbox.status_code == 200
    assert [
        (n["order_uid"], n["gateway"], n["verification"], n["outcome"])
        for n in inbox.json()["items"]
    ] == [(uid, api.gateway, "verified", "order_paid")]


async def _the_qr_is_the_gateways_with_the_amount(
    api: SimulatorStack, uid: str, qr_string: str, amount: int
) -> None:
    assert (await api.at_gateway(uid))["qr_string"] == qr_string
    assert crc_is_valid(qr_string)
    assert parse_tlv(qr_string)["54"] == str(amount)


async def test_a_pending_attempt_is_handed_out_again_not_created_twice(
    gateway_api: SimulatorStack,
) -> None:
    api = gateway_api
    order = await api.place_order()
    first = await api.start_qris(order)
    again = await api.start_qris(order)

    assert first.status_code == 201
    assert again.status_code == 200
    # The same attempt; the signed page link is signed afresh each time (a new nonce).
    assert again.json() | {"payment_page_url": ""} == first.json() | {"payment_page_url": ""}
    listed = await api.client.get(f"{api.mount}/control/transactions")
    assert [t["state"] for t in listed.json()] == ["pending"]


async def test_a_failed_qr_payment_leaves_the_order_open_for_a_new_attempt(
    gateway_api: SimulatorStack,
) -> None:
    api = gateway_api
    order = await api.place_order()
    first = await api.started_qris(order)

    failed = await api.fail(first)

    assert failed.status_code == 200
    assert [d["status_code"] for d in failed.json()["callback_deliveries"]] == [200]
    assert (await api.payment(first))["status"] == "failed"
    assert (await api.order(order.id))["status"] == "awaiting_payment"
    second = await api.started_qris(order)
    assert second != first
    assert (await api.pay(second)).status_code == 200
    assert (await api.order(order.id))["status"] == "paid"


async def test_the_qr_image_is_404_for_an_unknown_attempt_or_one_without_a_qr(
    api: SimulatorStack,
) -> None:
    order = await api.place_order()
    cash = await api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": order.id, "amount_tendered": order.total},
        headers=api.staff,
    )
    assert cash.status_code == 201
    cash_uid = cash.json()["order_uid"]

    for uid in (cash_uid, "KSR-unknown"):
        for kind in ("png", "svg"):
            response = await api.client.get(f"/api/v1/payments/{uid}/qris.{kind}")
            api.error(response, 404, "not_found")


async def test_the_simulator_failing_answers_502_and_the_status_check_decides_the_attempt(
    api: SimulatorStack,
) -> None:
    clock = SettableClock(datetime.now(UTC))
    replace(api.container, clock=clock)
    order = await api.place_order()
    await api.set_faults(fail_next=1)

    refused = await api.start_qris(order)

    api.error(refused, 502, "gateway_outcome_unknown")
    [unknown] = (await api.order(order.id))["payments"]
    assert unknown["status"] == "creating"  # Duitku may have created it: not failed, not retried
    busy = await api.start_qris(order)
    api.error(busy, 409, "payment_in_progress")
    # Once the create call can no longer be running, Duitku is asked: it never created it.
    clock.advance(api.container.start_qris_payment().creating_grace)
    retried = await api.start_qris(order)
    assert retried.status_code == 201, retried.text
    statuses = {p["order_uid"]: p["status"] for p in (await api.order(order.id))["payments"]}
    assert statuses[unknown["order_uid"]] == "failed"
    assert sorted(statuses.values()) == ["failed", "pending"]


async def test_an_order_below_duitkus_minimum_is_refused_by_the_gateway_with_502(
    api: SimulatorStack,
) -> None:
    item = await api.add_menu_item("Kerupuk", 2_000)  # QRIS through Duitku starts at 10 000
    order = await api.place_order((item, 1))

    response = await api.start_qris(order)

    api.error(response, 502, "gateway_rejected")
    [attempt] = (await api.order(order.id))["payments"]
    assert attempt["status"] == "failed"
    assert api.simulator.controller.all() == []


async def test_the_gateway_is_replaced_by_container_wiring_alone(fake_api: FakeStack) -> None:
    """The same HTTP flow on the fake gateway: no domain or application code knows which."""
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    assert [r.attempt_id for r in fake_api.gateway.create_requests] == [uid]

    fake_api.gateway.pay(uid)
    answered = await fake_api.notify(fake_api.notification(uid))

    assert answered.status_code == 200, answered.text
    assert answered.json() == {"status": "ok", "outcome": "order_paid"}
    assert fake_api.gateway.status_checks == [uid]
    assert (await fake_api.order(order.id))["status"] == "paid"


async def test_a_gateway_outage_is_reported_as_502_on_the_fake_gateway_too(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    fake_api.gateway.fail_next_create(GatewayUnavailable("the gateway is down"))

    response = await fake_api.start_qris(order)

    fake_api.error(response, 502, "gateway_unavailable")
