"""Over HTTP: a signed success the gateway contradicts, and another amount paid, are listed for
staff in `needs_review` (GET /api/v1/payments) with what happened, counted in
kasir_payment_review_flags_total, and resolved by staff with a note
(POST /api/v1/payments/{order_uid}/review/resolve)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack

RESOLVE = "POST /api/v1/payments/{order_uid}/review/resolve"
LIST = "GET /api/v1/payments"


def flags(reason: str) -> float:
    value = REGISTRY.get_sample_value("kasir_payment_review_flags_total", {"reason": reason})
    return value or 0.0


async def staff_list(api: FakeStack) -> dict[str, Any]:
    response = await api.client.get("/api/v1/payments", headers=api.staff)
    assert response.status_code == 200, response.text
    await api.documented(response, LIST)
    body: dict[str, Any] = response.json()
    return body


async def test_a_contradicted_success_is_listed_for_staff_with_both_facts_until_resolved(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    fields = fake_api.notification(uid)  # correctly signed: paid 50 000
    fake_api.gateway.fail(uid)  # ... but the gateway says it failed
    counted = flags("success_contradicted")

    answer = await fake_api.notify(fields)

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "contradicted"
    assert flags("success_contradicted") == counted + 1
    listed = await staff_list(fake_api)
    [item] = listed["needs_review"]
    assert item["payment"]["order_uid"] == uid
    assert f"said {order.total} was paid" in item["reason"]
    assert "reports it failed" in item["reason"]
    [entry] = [n for n in listed["flagged_notifications"] if n["order_uid"] == uid]
    assert entry["outcome"] == "contradicted"
    assert (await fake_api.order(order.id))["status"] == "awaiting_payment"

    resolved = await fake_api.client.post(
        f"/api/v1/payments/{uid}/review/resolve",
        json={"note": "Duitku support: not paid"},
        headers=fake_api.staff,
    )

    assert resolved.status_code == 200, resolved.text
    await fake_api.documented(resolved, RESOLVE)
    body = resolved.json()
    assert (body["resolved_by"], body["note"]) == ("alice", "Duitku support: not paid")
    assert body["payment"]["order_uid"] == uid
    assert (await staff_list(fake_api))["needs_review"] == []
    again = await fake_api.client.post(
        f"/api/v1/payments/{uid}/review/resolve", json={"note": "again"}, headers=fake_api.staff
    )
    fake_api.error(again, 409, "invalid_transition")
    await fake_api.documented(again, RESOLVE)


async def test_another_amount_paid_frees_the_order_and_its_refund_is_resolved_with_the_review(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    fields = fake_api.notification(uid)
    fake_api.gateway.pay(uid)
    fake_api.gateway.transactions[uid].amount = 1_000  # the payer's bank sent 1 000
    counted = flags("amount_mismatch")

    answer = await fake_api.notify(fields)

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "amount_mismatch"
    assert flags("amount_mismatch") == counted + 1
    payment = await fake_api.payment(uid)
    assert (payment["status"], payment["closed_reason"], payment["amount_received"]) == (
        "failed",
        "amount_mismatch",
        1_000,
    )
    listed = await staff_list(fake_api)
    [refund] = listed["items"]
    assert (refund["order_uid"], refund["refund"]["amount"]) == (uid, 1_000)
    [item] = listed["needs_review"]
    assert item["reason"] == f"the gateway reports 1000 paid on an attempt of {order.total}"
    new_qr = await fake_api.start_qris(order)  # the order takes a new QR at once
    assert new_qr.status_code == 201, new_qr.text
    assert new_qr.json()["order_uid"] != uid

    resolved = await fake_api.client.post(
        f"/api/v1/payments/{uid}/review/resolve",
        json={"note": "gave 1.000 back in cash"},
        headers=fake_api.staff,
    )

    assert resolved.status_code == 200, resolved.text
    refunded = resolved.json()["payment"]["refund"]
    assert (refunded["resolved_by"], refunded["note"]) == ("alice", "gave 1.000 back in cash")
    after = await staff_list(fake_api)
    assert (after["items"], after["needs_review"]) == ([], [])


async def test_resolving_the_review_of_an_unknown_payment_is_not_found(
    fake_api: FakeStack,
) -> None:
    response = await fake_api.client.post(
        "/api/v1/payments/KSR-never/review/resolve", json={"note": "x"}, headers=fake_api.staff
    )

    fake_api.error(response, 404, "not_found")
    await fake_api.documented(response, RESOLVE)
