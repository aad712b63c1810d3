"""POST /api/v1/webhooks/duitku: every status of the issue's table, each for its own reason.

A notification is a trigger, not proof: only the gateway's status check moves money, and the
answer tells Duitku whether to send it again (200: no; 503: yes, later). A success kasir cannot
confirm yet is answered 200 `scheduled`: kasir committed its own status check for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

import pytest

from adapters.duitku.notifications import DuitkuNotificationVerifier
from application.errors import GatewayTimeout, GatewayUnavailable

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, PlacedOrder

FAKE_MERCHANT_CODE = "E2EFAKE"  # the fake stack's merchant (tests/e2e/conftest.py)

WEBHOOK = "/api/v1/webhooks/duitku"
OPERATION = "POST /api/v1/webhooks/duitku"
REQUIRED = ("merchantCode", "amount", "merchantOrderId", "signature", "resultCode")


async def _pending_attempt(fake_api: FakeStack) -> tuple[PlacedOrder, str]:
    order = await fake_api.place_order()
    return order, await fake_api.started_qris(order)


async def test_415_when_the_notification_is_not_form_encoded(fake_api: FakeStack) -> None:
    _, uid = await _pending_attempt(fake_api)
    before = fake_api.snapshot()

    as_json = await fake_api.client.post(WEBHOOK, json=fake_api.notification(uid))
    no_body = await fake_api.client.post(WEBHOOK)

    fake_api.error(as_json, 415, "unsupported_media_type")
    fake_api.error(no_body, 415, "unsupported_media_type")
    assert fake_api.snapshot() == before
    assert fake_api.gateway.status_checks == []
    await fake_api.documented(as_json, OPERATION)
    await fake_api.documented(no_body, OPERATION)


@pytest.mark.parametrize("missing", REQUIRED)
async def test_400_invalid_notification_when_a_field_is_missing(
    fake_api: FakeStack, missing: str
) -> None:
    _, uid = await _pending_attempt(fake_api)
    fields = fake_api.notification(uid)
    del fields[missing]
    before = fake_api.snapshot()

    response = await fake_api.notify(fields)

    fake_api.error(response, 400, "invalid_notification")
    assert fake_api.snapshot() == before
    assert fake_api.gateway.status_checks == []
    await fake_api.documented(response, OPERATION)


@pytest.mark.parametrize("amount", ["50.000", "50000.50", "5e4", "-50000", "50000,00"])
async def test_400_invalid_notification_when_the_amount_is_not_whole_rupiah(
    fake_api: FakeStack, amount: str
) -> None:
    _, uid = await _pending_attempt(fake_api)
    fields = fake_api.notification(uid) | {"amount": amount}
    fields["signature"] = fake_api.gateway.sign(FAKE_MERCHANT_CODE, amount, uid)
    before = fake_api.snapshot()

    response = await fake_api.notify(fields)

    fake_api.error(response, 400, "invalid_notification")
    assert fake_api.snapshot() == before
    assert fake_api.gateway.status_checks == []
    await fake_api.documented(response, OPERATION)


async def test_400_invalid_notification_when_a_field_is_repeated(fake_api: FakeStack) -> None:
    _, uid = await _pending_attempt(fake_api)
    fields = fake_api.notification(uid)
    repeated = "&".join(f"{k}={v}" for k, v in fields.items()) + "&resultCode=01"
    before = fake_api.snapshot()

    twice = await fake_api.client.post(
        WEBHOOK,
        content=repeated.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    fake_api.error(twice, 400, "invalid_notification")
    assert fake_api.snapshot() == before
    assert fake_api.gateway.status_checks == []
    await fake_api.documented(twice, OPERATION)


async def test_an_amount_with_zero_cents_signed_as_sent_is_whole_rupiah_and_pays(
    fake_api: FakeStack,
) -> None:
    """The production parser reads "50000.00" as 50 000 and verifies the string as received;
    a signature over "50000" does not cover "50000.00"."""
    order, uid = await _pending_attempt(fake_api)
    fake_api.gateway.pay(uid)
    with_cents = fake_api.notification(uid) | {"amount": f"{order.total}.00"}
    signed_for_other_text = dict(with_cents)
    with_cents["signature"] = fake_api.gateway.sign(FAKE_MERCHANT_CODE, f"{order.total}.00", uid)

    forged = await fake_api.notify(signed_for_other_text)
    response = await fake_api.notify(with_cents)

    fake_api.error(forged, 403, "notification_rejected")
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "order_paid"
    assert (await fake_api.order(order.id))["status"] == "paid"


def test_the_fake_stack_verifies_notifications_with_the_production_duitku_verifier(
    fake_api: FakeStack,
) -> None:
    assert isinstance(fake_api.gateway.notifications, DuitkuNotificationVerifier)
    assert fake_api.container.gateway() is fake_api.gateway


async def test_403_with_one_generic_body_for_a_wrong_merchant_or_a_bad_signature(
    fake_api: FakeStack,
) -> None:
    _, uid = await _pending_attempt(fake_api)
    genuine = fake_api.notification(uid)
    other_merchant = dict(genuine, merchantCode="D0001")
    other_merchant["signature"] = fake_api.gateway.sign("D0001", genuine["amount"], uid)
    bad_signature = dict(genuine, signature="0" * 64)
    before = fake_api.snapshot()

    merchant = await fake_api.notify(other_merchant)
    signature = await fake_api.notify(bad_signature)

    assert fake_api.error(merchant, 403, "notification_rejected") == fake_api.error(
        signature, 403, "notification_rejected"
    )
    assert fake_api.snapshot() == before
    assert fake_api.gateway.status_checks == []
    await fake_api.documented(merchant, OPERATION)
    await fake_api.documented(signature, OPERATION)


async def test_200_for_an_unknown_order_and_nothing_changes(fake_api: FakeStack) -> None:
    await _pending_attempt(fake_api)
    fields = fake_api.notification("KSR-not-ours", amount=50_000)
    before = fake_api.snapshot()

    response = await fake_api.notify(fields)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "outcome": "unknown_payment"}
    assert fake_api.snapshot() == before
    assert fake_api.gateway.status_checks == []
    await fake_api.documented(response, OPERATION)


async def test_200_amount_mismatch_when_the_gateway_confirms_another_amount_paid(
    fake_api: FakeStack,
) -> None:
    order, uid = await _pending_attempt(fake_api)
    fake_api.gateway.pay(uid)
    fake_api.gateway.transactions[uid].amount = order.total - 1

    response = await fake_api.notify(fake_api.notification(uid, amount=order.total - 1))

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "amount_mismatch"
    assert fake_api.gateway.status_checks == [uid]
    assert (await fake_api.order(order.id))["status"] == "awaiting_payment"
    await fake_api.documented(response, OPERATION)


@pytest.mark.parametrize(
    ("failed_at_the_gateway", "outcome", "payment_status"),
    [(False, "still_pending", "pending"), (True, "failed", "failed")],
    ids=["still-pending-there", "failed-there"],
)
async def test_200_for_a_failure_result_ends_the_attempt_only_when_the_status_says_so(
    fake_api: FakeStack, failed_at_the_gateway: bool, outcome: str, payment_status: str
) -> None:
    order, uid = await _pending_attempt(fake_api)
    if failed_at_the_gateway:
        fake_api.gateway.fail(uid)

    response = await fake_api.notify(fake_api.notification(uid, result_code="01"))

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == outcome
    assert fake_api.gateway.status_checks == [uid]
    assert (await fake_api.payment(uid))["status"] == payment_status
    assert (await fake_api.order(order.id))["status"] == "awaiting_payment"
    await fake_api.documented(response, OPERATION)


async def test_200_for_a_settled_attempt_without_asking_the_gateway(
    fake_api: FakeStack,
) -> None:
    _, uid = await _pending_attempt(fake_api)
    fake_api.gateway.pay(uid)
    assert (await fake_api.notify(fake_api.notification(uid))).json()["outcome"] == "order_paid"
    checks = list(fake_api.gateway.status_checks)
    before = fake_api.snapshot()

    for result_code in ("00", "01"):
        response = await fake_api.notify(fake_api.notification(uid, result_code=result_code))
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "already_settled"

    assert fake_api.gateway.status_checks == checks
    assert fake_api.snapshot() == before
    await fake_api.documented(response, OPERATION)


@pytest.mark.parametrize("scheme", ["hmac", "md5"])
async def test_200_applied_when_the_status_check_confirms_the_payment_signed_either_way(
    fake_api: FakeStack, scheme: Literal["hmac", "md5"]
) -> None:
    """Both signature schemes verify through the production verifier."""
    order, uid = await _pending_attempt(fake_api)
    fake_api.gateway.pay(uid)

    response = await fake_api.notify(fake_api.notification(uid, scheme=scheme))

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "outcome": "order_paid"}
    assert fake_api.gateway.status_checks == [uid]
    assert (await fake_api.payment(uid))["status"] == "succeeded"
    assert (await fake_api.order(order.id))["status"] == "paid"
    await fake_api.documented(response, OPERATION)


@pytest.mark.parametrize(
    "outage", [GatewayUnavailable("status down"), GatewayTimeout("status too slow")]
)
async def test_200_scheduled_when_the_status_check_is_unavailable_and_a_resend_applies_it(
    fake_api: FakeStack, outage: Exception
) -> None:
    order, uid = await _pending_attempt(fake_api)
    fake_api.gateway.pay(uid)
    fake_api.gateway.fail_next_status(outage)  # type: ignore[arg-type]

    response = await fake_api.notify(fake_api.notification(uid))

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "outcome": "scheduled"}
    assert fake_api.next_check_at(uid) == fake_api.clock.now() + timedelta(seconds=30)
    assert (await fake_api.payment(uid))["status"] == "pending"
    assert (await fake_api.order(order.id))["status"] == "awaiting_payment"
    # Should Duitku send it again once the budget allows, the resend is applied as well.
    fake_api.clock.advance(timedelta(seconds=31))
    retried = await fake_api.notify(fake_api.notification(uid))
    assert retried.status_code == 200, retried.text
    assert retried.json()["outcome"] == "order_paid"
    assert (await fake_api.order(order.id))["status"] == "paid"
    await fake_api.documented(response, OPERATION)
    await fake_api.documented(retried, OPERATION)


async def test_200_scheduled_when_the_status_check_still_says_pending(
    fake_api: FakeStack,
) -> None:
    order, uid = await _pending_attempt(fake_api)

    response = await fake_api.notify(fake_api.notification(uid))  # claims success; not so

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "scheduled"
    assert fake_api.gateway.status_checks == [uid]
    assert fake_api.next_check_at(uid) == fake_api.clock.now() + timedelta(seconds=30)
    assert (await fake_api.payment(uid))["status"] == "pending"
    assert (await fake_api.order(order.id))["status"] == "awaiting_payment"
    await fake_api.documented(response, OPERATION)


async def test_200_scheduled_without_a_second_status_call_when_a_resend_comes_too_soon(
    fake_api: FakeStack,
) -> None:
    """The status check is throttled per attempt: Duitku blocks merchants that poll."""
    _, uid = await _pending_attempt(fake_api)
    assert (await fake_api.notify(fake_api.notification(uid))).json()["outcome"] == "scheduled"
    due = fake_api.next_check_at(uid)
    fake_api.gateway.pay(uid)
    fake_api.clock.advance(timedelta(seconds=10))

    too_soon = await fake_api.notify(fake_api.notification(uid))

    assert too_soon.status_code == 200, too_soon.text
    assert too_soon.json()["outcome"] == "scheduled"
    assert fake_api.gateway.status_checks == [uid]
    assert fake_api.next_check_at(uid) == due  # when the budget allows, not 30 s from now
    await fake_api.documented(too_soon, OPERATION)


async def test_503_when_no_status_check_can_be_scheduled_for_an_attempt_awaiting_review(
    fake_api: FakeStack,
) -> None:
    order, uid = await _pending_attempt(fake_api)
    fake_api.flag_for_review(uid)  # the job gave up on it; staff decide now

    response = await fake_api.notify(fake_api.notification(uid))  # the gateway says pending

    fake_api.error(response, 503, "status_unconfirmed")
    assert int(response.headers["Retry-After"]) >= 1
    assert fake_api.next_check_at(uid) is None
    assert (await fake_api.order(order.id))["status"] == "awaiting_payment"
    await fake_api.documented(response, OPERATION)
