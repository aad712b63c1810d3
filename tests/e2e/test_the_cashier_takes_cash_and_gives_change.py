"""Cash at the cashier: change due, never less than the total, and the open QR cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from entrypoints.duitku_simulator.callbacks import Payer, build_callback_form

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack

CASH = "/api/v1/payments/cash"


@pytest.mark.parametrize(("tendered", "change"), [(100_000, 50_000), (50_000, 0)])
async def test_cash_pays_the_order_and_returns_the_change_due(
    api: SimulatorStack, tendered: int, change: int
) -> None:
    order = await api.place_order()  # 2 x 25 000
    assert order.total == 50_000

    response = await api.client.post(
        CASH, json={"order_id": order.id, "amount_tendered": tendered}, headers=api.staff
    )

    assert response.status_code == 201, response.text
    await api.documented(response, "POST /api/v1/payments/cash")
    body = response.json()
    assert body["order_id"] == order.id
    assert body["amount"] == 50_000
    assert body["amount_tendered"] == tendered
    assert body["change_due"] == change
    assert body["taken_by"] == "alice"
    assert body["status"] == "succeeded"
    assert body["paid_at"] is not None
    assert (await api.order(order.id))["status"] == "paid"
    payment = await api.payment(body["order_uid"])
    assert (payment["method"], payment["change_due"], payment["qr_string"]) == (
        "cash",
        change,
        None,
    )


async def test_less_cash_than_the_total_is_refused_with_422_and_changes_nothing(
    api: SimulatorStack,
) -> None:
    order = await api.place_order()
    before = api.snapshot()

    response = await api.client.post(
        CASH, json={"order_id": order.id, "amount_tendered": order.total - 1}, headers=api.staff
    )

    api.error(response, 422, "insufficient_cash")
    assert api.snapshot() == before
    await api.documented(response, "POST /api/v1/payments/cash")


async def test_cash_cancels_the_open_qris_attempt_and_a_late_qr_success_becomes_a_refund(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    qris_uid = await fake_api.started_qris(order)

    cash = await fake_api.client.post(
        CASH, json={"order_id": order.id, "amount_tendered": 60_000}, headers=fake_api.staff
    )

    assert cash.status_code == 201
    assert (await fake_api.payment(qris_uid))["status"] == "cancelled"
    assert fake_api.gateway.status_checks == [qris_uid]  # asked once: was it just paid?
    # The customer had the QR on screen and paid it anyway: the money is flagged for refund.
    fake_api.clock.advance(timedelta(seconds=30))  # past the budget the cashier's check spent
    fake_api.gateway.pay(qris_uid)
    late = await fake_api.notify(fake_api.notification(qris_uid))
    assert late.status_code == 200
    assert late.json()["outcome"] == "refund_required"
    order_now = await fake_api.order(order.id)
    assert order_now["status"] == "paid"
    assert order_now["paid_at"] is not None

    refunds = await fake_api.client.get(
        "/api/v1/payments", params={"refund_required": "true"}, headers=fake_api.staff
    )
    assert refunds.status_code == 200
    [refund] = refunds.json()["items"]
    assert refund["order_uid"] == qris_uid
    assert refund["refund"]["resolved_at"] is None

    resolved = await fake_api.client.post(
        f"/api/v1/payments/{qris_uid}/refund/resolve",
        json={"note": "returned 50 000 in cash"},
        headers=fake_api.staff,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["refund"]["resolved_by"] == "alice"
    assert resolved.json()["refund"]["note"] == "returned 50 000 in cash"
    still_open = await fake_api.client.get(
        "/api/v1/payments", params={"refund_required": "true"}, headers=fake_api.staff
    )
    assert still_open.json()["items"] == []
    everything = await fake_api.client.get(
        "/api/v1/payments",
        params={"refund_required": "true", "include_resolved": "true"},
        headers=fake_api.staff,
    )
    assert [p["order_uid"] for p in everything.json()["items"]] == [qris_uid]
    again = await fake_api.client.post(
        f"/api/v1/payments/{qris_uid}/refund/resolve",
        json={"note": "twice"},
        headers=fake_api.staff,
    )
    fake_api.error(again, 409)


async def test_a_qr_paid_in_the_simulator_after_cash_is_flagged_for_refund_not_lost(
    api: SimulatorStack,
) -> None:
    order = await api.place_order()
    qris_uid = await api.started_qris(order)
    cash = await api.client.post(
        CASH, json={"order_id": order.id, "amount_tendered": order.total}, headers=api.staff
    )
    assert cash.status_code == 201

    paid = await api.pay(qris_uid)  # the QR was still on the customer's phone

    # The cashier's status check spent the attempt's budget: the callback is answered 200
    # `scheduled` at once (kasir checks again when the budget allows), and a resend of it
    # once the budget allows records the refund, as kasir's scheduled check would.
    assert [d["status_code"] for d in paid.json()["callback_deliveries"]] == [200]
    later = SettableClock(datetime.now(UTC) + timedelta(seconds=31))
    replace(api.container, clock=later)
    duitku = api.container.duitku_config()
    retry = build_callback_form(
        api.simulator.inspect(qris_uid),
        result_code="00",
        api_key=duitku.api_key,
        scheme="hmac",
        payer=Payer(issuer_code="93600918", name="Budi Santoso"),
    )
    answered = await api.notify(retry)
    assert answered.status_code == 200, answered.text
    assert answered.json()["outcome"] == "refund_required"
    payment = await api.payment(qris_uid)
    assert payment["refund"] is not None
    assert payment["refund"]["resolved_at"] is None
    order_now = await api.order(order.id)
    assert order_now["status"] == "paid"
    assert order_now["paid_at"] == cash.json()["paid_at"]  # paid once, by the cash
    refunds = await api.client.get(
        "/api/v1/payments", params={"refund_required": "true"}, headers=api.staff
    )
    assert [p["order_uid"] for p in refunds.json()["items"]] == [qris_uid]


async def test_a_refund_cannot_be_resolved_where_none_is_required(api: SimulatorStack) -> None:
    order = await api.place_order()
    cash = await api.client.post(
        CASH, json={"order_id": order.id, "amount_tendered": order.total}, headers=api.staff
    )
    uid = cash.json()["order_uid"]

    missing = await api.client.post(
        "/api/v1/payments/KSR-nothing/refund/resolve", json={"note": "x"}, headers=api.staff
    )
    not_required = await api.client.post(
        f"/api/v1/payments/{uid}/refund/resolve", json={"note": "x"}, headers=api.staff
    )

    api.error(missing, 404, "not_found")
    api.error(not_required, 409)


async def test_cash_for_an_order_already_paid_or_cancelled_is_409_and_unknown_is_404(
    api: SimulatorStack,
) -> None:
    paid = await api.place_order()
    first = await api.client.post(
        CASH, json={"order_id": paid.id, "amount_tendered": paid.total}, headers=api.staff
    )
    assert first.status_code == 201
    cancelled = await api.place_order()
    cancel = await api.client.post(
        f"/api/v1/orders/{cancelled.id}/cancel",
        json={"reason": "the table left"},
        headers=api.staff,
    )
    assert cancel.status_code == 200
    before = api.snapshot()

    again = await api.client.post(
        CASH, json={"order_id": paid.id, "amount_tendered": paid.total}, headers=api.staff
    )
    on_cancelled = await api.client.post(
        CASH, json={"order_id": cancelled.id, "amount_tendered": 10**6}, headers=api.staff
    )
    unknown = await api.client.post(
        CASH, json={"order_id": 999, "amount_tendered": 10**6}, headers=api.staff
    )

    api.error(again, 409, "order_not_payable")
    api.error(on_cancelled, 409, "order_not_payable")
    api.error(unknown, 404, "not_found")
    assert api.snapshot() == before
    for response in (again, on_cancelled, unknown):
        await api.documented(response, "POST /api/v1/payments/cash")
