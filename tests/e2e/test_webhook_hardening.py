"""Nobody but Duitku moves money state: forgeries, replays, floods, and what staff see."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from entrypoints.duitku_simulator import DEV_API_KEY, DEV_MERCHANT_CODE
from entrypoints.logging_setup import JsonFormatter

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack

WEBHOOK = "/api/v1/webhooks/duitku"
STAFF = {"Authorization": "Bearer alice-token-0123456789"}
DUITKU_SANDBOX_ADDRESS = "182.23.85.11"
TRUSTED_PROXY = "10.0.0.1"
ELSEWHERE = "198.51.100.7"
METRICS_TOKEN = "scraper-token-0123456789"


def duitku_fields(
    attempt_id: str, amount: int, *, scheme: str = "hmac", **extra: str
) -> dict[str, str]:
    """A callback as Duitku sends it, signed with the simulator's development key."""
    text = f"{DEV_MERCHANT_CODE}{amount}{attempt_id}"
    if scheme == "hmac":
        signature = hmac.new(DEV_API_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()
    else:
        signature = hashlib.md5((text + DEV_API_KEY).encode()).hexdigest()  # noqa: S324
    fields = {
        "merchantCode": DEV_MERCHANT_CODE,
        "amount": str(amount),
        "merchantOrderId": attempt_id,
        "resultCode": "00",
        "reference": "DS00001REF",
        "signature": signature,
    }
    fields.update(extra)
    return fields


def client_from(api: SimulatorStack | FakeStack, address: str) -> httpx.AsyncClient:
    """A client whose TCP peer address is `address`, into the same running app."""
    transport = httpx.ASGITransport(app=api.client.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def inbox(api: SimulatorStack | FakeStack, **query: Any) -> list[dict[str, Any]]:
    response = await api.client.get("/api/v1/notifications", params=query, headers=STAFF)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestForgedNotifications:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "duitku_callback_allowlist": DUITKU_SANDBOX_ADDRESS,
            "trusted_proxies": TRUSTED_PROXY,
            # Narrowed to HMAC so that an MD5 signature is one more forgery here; the
            # default (both) accepts it, as test_md5_callbacks_are_accepted_... shows.
            "duitku_callback_signatures": "hmac",
        }

    async def test_every_forgery_is_refused_alike_changes_nothing_and_is_kept_in_the_inbox(
        self, api: SimulatorStack
    ) -> None:
        order = await api.place_order()
        uid = await api.started_qris(order)
        before = api.snapshot()
        good = duitku_fields(uid, order.total)
        forgeries: list[tuple[str, dict[str, str], dict[str, str]]] = [
            (DUITKU_SANDBOX_ADDRESS, {**good, "signature": "0" * 64}, {}),
            (DUITKU_SANDBOX_ADDRESS, {**good, "merchantCode": "DS99999"}, {}),
            (DUITKU_SANDBOX_ADDRESS, duitku_fields(uid, order.total, scheme="md5"), {}),
            (ELSEWHERE, good, {}),
            (ELSEWHERE, good, {"X-Forwarded-For": DUITKU_SANDBOX_ADDRESS}),
        ]
        bodies = []
        for peer, fields, headers in forgeries:
            async with client_from(api, peer) as client:
                response = await client.post(WEBHOOK, data=fields, headers=headers)
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "notification_rejected"
            bodies.append(response.json())
        assert all(body == bodies[0] for body in bodies)
        assert api.snapshot() == before
        stored = await inbox(api, attempt_id=uid)
        verdicts = sorted(entry["verification"] for entry in stored)
        assert verdicts == sorted(
            ["rejected", "rejected", "rejected", "source_not_allowed", "source_not_allowed"]
        )
        assert all(entry["outcome"] is None for entry in stored)

    async def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(
        self, api: SimulatorStack
    ) -> None:
        order = await api.place_order()
        uid = await api.started_qris(order)
        # The simulator's own callback comes from an address outside the allowlist: refused.
        delivered = (await api.pay(uid)).json()
        assert delivered["callback_deliveries"][0]["status_code"] == 403
        async with client_from(api, TRUSTED_PROXY) as client:
            response = await client.post(
                WEBHOOK,
                data=duitku_fields(uid, order.total),
                headers={"X-Forwarded-For": f"{ELSEWHERE}, {DUITKU_SANDBOX_ADDRESS}"},
            )
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "order_paid"
        assert (await inbox(api, attempt_id=uid))[0]["source_address"] == DUITKU_SANDBOX_ADDRESS


async def test_replays_for_a_settled_attempt_cause_no_gateway_call(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    fake_api.gateway.pay(uid)
    notification = fake_api.notification(uid)
    assert (await fake_api.notify(notification)).json()["outcome"] == "order_paid"
    checks = len(fake_api.gateway.status_checks)
    for _ in range(200):
        response = await fake_api.notify(notification)
        assert response.status_code == 200
        assert response.json()["outcome"] == "already_settled"
    assert len(fake_api.gateway.status_checks) == checks


async def test_replays_for_a_pending_attempt_cause_at_most_one_status_check_per_30_seconds(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    notification = fake_api.notification(uid)  # claims success, the gateway still says pending
    for _ in range(50):
        response = await fake_api.notify(notification)
        assert response.status_code == 200
        assert response.json()["outcome"] == "scheduled"
    assert fake_api.gateway.status_checks == [uid]
    fake_api.clock.advance(timedelta(seconds=29))
    assert (await fake_api.notify(notification)).json()["outcome"] == "scheduled"
    assert fake_api.gateway.status_checks == [uid]
    fake_api.clock.advance(timedelta(seconds=2))
    fake_api.gateway.pay(uid)
    assert (await fake_api.notify(notification)).json()["outcome"] == "order_paid"
    assert fake_api.gateway.status_checks == [uid, uid]


async def test_secrets_appear_in_no_log_line_no_answer_and_no_stored_row(
    api: SimulatorStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    order = await api.place_order()
    uid = await api.started_qris(order)
    answers = [(await api.pay(uid)).text]
    forged = {**duitku_fields(uid, order.total), "signature": "f" * 64}
    answers.append((await api.notify(forged)).text)
    answers.append((await api.client.get("/api/v1/orders", headers=STAFF)).text)
    answers.append((await api.client.get("/api/v1/notifications", headers=STAFF)).text)
    answers.append((await api.client.get("/metrics")).text)
    rows = api.snapshot((*api.snapshot().keys(), "notification_inbox"))
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "kasir.duitku" in logged  # the gateway calls were logged, with their extras
    secrets = (DEV_API_KEY, "alice-token-0123456789", order.token)
    for secret in secrets:
        assert secret not in logged
        assert all(secret not in answer for answer in answers)
        assert all(secret not in row for table in rows.values() for row in table)


class TestPersonalData:
    async def test_payer_details_are_masked_on_arrival_and_removed_after_retention(
        self, fake_api: FakeStack
    ) -> None:
        order = await fake_api.place_order()
        uid = await fake_api.started_qris(order)
        fake_api.gateway.pay(uid)
        fields = {**fake_api.notification(uid), "customerName": "Budi Santoso"}
        assert (await fake_api.notify(fields)).status_code == 200
        (entry,) = await inbox(fake_api, attempt_id=uid)
        assert entry["fields"]["customerName"] == "B*** S******"
        assert "Budi" not in str(fake_api.snapshot(("notification_inbox",)))
        remove = fake_api.container.remove_expired_personal_data()
        assert await remove.execute() == 0
        fake_api.clock.advance(timedelta(days=91))
        assert await remove.execute() == 1
        (entry,) = await inbox(fake_api, attempt_id=uid)
        assert entry["fields"]["customerName"] == "[removed]"
        assert entry["personal_data_removed"] is True
        assert entry["fields"]["merchantOrderId"] == uid


async def test_a_success_after_cash_is_flagged_listed_and_resolved_by_a_named_staff_member(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    cash = await fake_api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": order.id, "amount_tendered": order.total},
        headers=STAFF,
    )
    assert cash.status_code == 201, cash.text
    fake_api.clock.advance(timedelta(seconds=30))  # past the budget the cashier's check spent
    fake_api.gateway.pay(uid)  # the customer scanned the QR anyway
    answer = await fake_api.notify(fake_api.notification(uid))
    assert answer.json()["outcome"] == "refund_required"
    listed = await fake_api.client.get("/api/v1/payments?refund_required=true", headers=STAFF)
    (payment,) = listed.json()["items"]
    assert payment["order_uid"] == uid
    assert payment["refund"]["resolved_at"] is None
    assert [n["order_uid"] for n in listed.json()["flagged_notifications"]] == [uid]
    resolved = await fake_api.client.post(
        f"/api/v1/payments/{uid}/refund/resolve", json={"note": "returned in cash"}, headers=STAFF
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["refund"]["resolved_by"] == "alice"
    assert resolved.json()["refund"]["note"] == "returned in cash"
    after = await fake_api.client.get("/api/v1/payments?refund_required=true", headers=STAFF)
    assert after.json()["items"] == []


async def test_an_amount_that_differs_is_flagged_for_staff_and_reviewed_by_name(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    fake_api.gateway.pay(uid)
    fake_api.gateway.transactions[uid].amount = order.total - 1
    answer = await fake_api.notify(fake_api.notification(uid, amount=order.total - 1))
    assert answer.json()["outcome"] == "amount_mismatch"
    listed = await fake_api.client.get("/api/v1/payments", headers=STAFF)
    (flagged,) = listed.json()["flagged_notifications"]
    reviewed = await fake_api.client.post(
        f"/api/v1/notifications/{flagged['id']}/review", json={"note": "typo"}, headers=STAFF
    )
    assert reviewed.json()["reviewed_by"] == "alice"
    after = await fake_api.client.get("/api/v1/payments", headers=STAFF)
    assert after.json()["flagged_notifications"] == []
    assert fake_api.gateway.status_checks == [uid]


async def test_a_stored_notification_can_be_reprocessed_idempotently(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    first = await fake_api.notify(fake_api.notification(uid))
    assert first.json()["outcome"] == "scheduled"  # not paid yet at the gateway
    (entry,) = await inbox(fake_api, attempt_id=uid)
    fake_api.gateway.pay(uid)
    fake_api.clock.advance(timedelta(seconds=31))
    url = f"/api/v1/notifications/{entry['id']}/reprocess"
    assert (await fake_api.client.post(url, headers=STAFF)).json()["outcome"] == "order_paid"
    assert (await fake_api.client.post(url, headers=STAFF)).json()["outcome"] == ("already_settled")
    assert (await fake_api.order(order.id))["status"] == "paid"


class TestFloods:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limit_rejected_callbacks_per_minute": 5, "rate_limit_create_per_minute": 4}

    async def test_an_address_that_keeps_failing_verification_is_refused_before_any_work(
        self, fake_api: FakeStack
    ) -> None:
        forged = {**fake_api.notification("KSR-unknown"), "signature": "0" * 64}
        async with client_from(fake_api, ELSEWHERE) as client:
            codes = [(await client.post(WEBHOOK, data=forged)).status_code for _ in range(7)]
            stored = fake_api.count("notification_inbox")
            limited = await client.post(WEBHOOK, data=forged)
        assert codes == [403] * 5 + [429] * 2
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert fake_api.count("notification_inbox") == stored == 5
        async with client_from(fake_api, DUITKU_SANDBOX_ADDRESS) as other:
            assert (await other.post(WEBHOOK, data=forged)).status_code == 403

    async def test_creating_orders_is_rate_limited_per_client_address(
        self, fake_api: FakeStack
    ) -> None:
        item = await fake_api.add_menu_item()
        body = {"items": [{"menu_item_id": item, "quantity": 1}]}
        async with client_from(fake_api, ELSEWHERE) as client:
            codes = [(await client.post("/api/v1/orders", json=body)).status_code for _ in range(5)]
        assert codes == [201] * 4 + [429]
        async with client_from(fake_api, DUITKU_SANDBOX_ADDRESS) as other:
            assert (await other.post("/api/v1/orders", json=body)).status_code == 201

    async def test_an_oversized_notification_is_refused_early(self, fake_api: FakeStack) -> None:
        response = await fake_api.notify({"merchantOrderId": "x" * 20_000})
        assert response.status_code == 413


async def test_every_answer_carries_a_request_id_and_echoes_a_given_one(
    fake_api: FakeStack,
) -> None:
    fresh = await fake_api.client.get("/health")
    assert len(fresh.headers["X-Request-ID"]) == 32
    echoed = await fake_api.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    unsafe = await fake_api.client.get("/health", headers={"X-Request-ID": "a b\tc"})
    assert unsafe.headers["X-Request-ID"] != "a b\tc"


class TestMetrics:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"metrics_token": METRICS_TOKEN}

    async def test_metrics_count_callbacks_by_outcome_and_gateway_calls(
        self, fake_api: FakeStack
    ) -> None:
        order = await fake_api.place_order()
        uid = await fake_api.started_qris(order)
        fake_api.gateway.pay(uid)
        await fake_api.notify(fake_api.notification(uid))
        scraper = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        text = (await fake_api.client.get("/metrics", headers=scraper)).text
        assert 'kasir_notifications_total{outcome="order_paid"}' in text
        assert 'kasir_gateway_call_seconds_count{operation="check_status"}' in text
        assert 'kasir_payment_events_total{event="PaymentSucceeded"}' in text
