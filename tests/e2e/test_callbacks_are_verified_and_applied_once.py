"""Forged callbacks change nothing; genuine duplicates are answered 200 and change nothing."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from entrypoints.duitku_simulator.callbacks import Payer, build_callback_form

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack


async def test_a_callback_with_a_forged_signature_is_rejected_and_changes_nothing(
    api: SimulatorStack,
) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)
    await api.set_faults(wrong_callback_signature=True)
    before = api.snapshot()

    paid = await api.pay(uid)  # the simulator says paid, but signs its callback wrongly

    deliveries = paid.json()["callback_deliveries"]
    assert deliveries
    assert {d["status_code"] for d in deliveries} == {403}
    assert paid.json()["callback_delivered"] is False
    assert api.snapshot() == before
    assert (await api.order(order.id))["status"] == "awaiting_payment"
    rejected = await api.client.get(
        "/api/v1/notifications", params={"verification": "rejected"}, headers=api.staff
    )
    assert len(rejected.json()["items"]) == len(deliveries)


async def test_a_callback_forged_with_another_key_for_a_paid_transaction_changes_nothing(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    fake_api.gateway.pay(uid)  # even with real money at the gateway, a forgery is not a trigger
    forged = fake_api.notification(uid)
    message = f"{forged['merchantCode']}{forged['amount']}{uid}".encode()
    forged["signature"] = hmac.new(b"guessed-key", message, hashlib.sha256).hexdigest()
    before = fake_api.snapshot()

    response = await fake_api.notify(forged)

    error = fake_api.error(response, 403, "notification_rejected")
    assert "signature" not in error["message"].lower()  # no oracle: one generic message
    assert fake_api.snapshot() == before
    assert fake_api.gateway.status_checks == []


async def test_a_duplicate_callback_is_answered_200_with_nothing_changed_and_no_status_call(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    fake_api.gateway.pay(uid)
    callback = fake_api.notification(uid)
    first = await fake_api.notify(callback)
    assert first.json()["outcome"] == "order_paid"
    checks = len(fake_api.gateway.status_checks)
    before = fake_api.snapshot()

    duplicates = [await fake_api.notify(callback) for _ in range(3)]

    assert [d.status_code for d in duplicates] == [200, 200, 200]
    assert {d.json()["outcome"] for d in duplicates} == {"already_settled"}
    assert len(fake_api.gateway.status_checks) == checks
    assert fake_api.snapshot() == before
    order_now = await fake_api.order(order.id)
    assert order_now["status"] == "paid"
    assert [p["status"] for p in order_now["payments"]] == ["succeeded"]


async def test_the_simulators_callback_delivered_again_is_answered_200_and_changes_nothing(
    api: SimulatorStack,
) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)
    assert (await api.pay(uid)).json()["callback_delivered"] is True
    after_first = api.snapshot()  # includes when the attempt was last checked at the gateway
    config = api.simulator.config
    redelivered = build_callback_form(
        api.simulator.inspect(uid),
        result_code="00",
        api_key=config.api_key,
        scheme=config.callback_signature,
        payer=Payer(config.payer_issuer_code, config.payer_name),
    )

    response = await api.notify(redelivered)

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "already_settled"
    assert api.snapshot() == after_first
    assert (await api.order(order.id))["status"] == "paid"
