"""Duitku cannot cancel a transaction: a QR that kasir closed stays payable there until it
expires. So once an attempt is not open (paid, paid in cash, cancelled, failed), kasir never
shows its QR again: the images answer 410 `payment_closed`, the JSON leaves out `qr_string`,
`qris_url` and `payment_url` (the gateway's page shows the same QR), and no image is cached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.e2e.conftest import PlacedOrder, SimulatorStack

QR_FIELDS = ("qr_string", "qris_url", "payment_url")
Closer = Callable[["SimulatorStack", "PlacedOrder", str], Awaitable[None]]


async def _pay_in_cash(api: SimulatorStack, order: PlacedOrder, _: str) -> None:
    response = await api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": order.id, "amount_tendered": order.total},
        headers=api.staff,
    )
    assert response.status_code == 201, response.text


async def _cancel_the_order(api: SimulatorStack, order: PlacedOrder, _: str) -> None:
    response = await api.client.post(
        f"/api/v1/orders/{order.id}/cancel", json={"reason": "the table left"}, headers=api.staff
    )
    assert response.status_code == 200, response.text


async def _pay_the_qr(api: SimulatorStack, _: PlacedOrder, uid: str) -> None:
    assert (await api.pay(uid)).status_code == 200


async def _fail_at_the_gateway(api: SimulatorStack, _: PlacedOrder, uid: str) -> None:
    assert (await api.fail(uid)).status_code == 200


CLOSERS: dict[str, tuple[Closer, str]] = {
    "paid in cash": (_pay_in_cash, "cancelled"),
    "order cancelled": (_cancel_the_order, "cancelled"),
    "paid by QRIS": (_pay_the_qr, "succeeded"),
    "failed at the gateway": (_fail_at_the_gateway, "failed"),
}


def _payments_of(order: dict[str, Any], uid: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [p for p in order["payments"] if p["order_uid"] == uid]
    assert len(found) == 1
    return found[0]


async def test_an_open_attempts_qr_is_shown_and_never_cached(api: SimulatorStack) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)

    payment = await api.payment(uid)
    assert all(payment[name] for name in QR_FIELDS)
    for kind in ("png", "svg"):
        image = await api.client.get(f"/api/v1/payments/{uid}/qris.{kind}")
        assert image.status_code == 200
        assert image.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("how", list(CLOSERS))
async def test_a_closed_attempt_never_shows_its_qr_again(api: SimulatorStack, how: str) -> None:
    close, closed_status = CLOSERS[how]
    order = await api.place_order()
    uid = await api.started_qris(order)

    await close(api, order, uid)

    payment = await api.payment(uid)
    assert payment["status"] == closed_status
    assert [payment[name] for name in QR_FIELDS] == [None, None, None]
    for kind in ("png", "svg"):
        image = await api.client.get(f"/api/v1/payments/{uid}/qris.{kind}")
        api.error(image, 410, "payment_closed")
        await api.documented(image, f"GET /api/v1/payments/{{order_uid}}/qris.{kind}")
    for headers in (order.headers, api.staff):
        seen = await api.client.get(f"/api/v1/orders/{order.id}", headers=headers)
        assert seen.status_code == 200
        shown = _payments_of(seen.json(), uid)
        assert [shown[name] for name in QR_FIELDS] == [None, None, None]
    assert (
        api.simulator.inspect(uid).qr_string
        not in (await api.client.get(f"/api/v1/orders/{order.id}", headers=api.staff)).text
    )
