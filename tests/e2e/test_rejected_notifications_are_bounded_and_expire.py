"""A rejected notification keeps only bounded known fields and is deleted after its retention."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from entrypoints.background import run_pass

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack

STAFF = {"Authorization": "Bearer alice-token-0123456789"}
SCRAPER = {"Authorization": "Bearer scraper-token-0123456789"}


async def inbox(api: FakeStack, **query: Any) -> list[dict[str, Any]]:
    response = await api.client.get("/api/v1/notifications", params=query, headers=STAFF)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def counter(text: str, name: str) -> float:
    lines = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(lines[0].split()[1]) if lines else 0.0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "notification_rejected_retention_days": 7,
        "rate_limit_rejected_callbacks_per_minute": 0,
        "metrics_token": SCRAPER["Authorization"].removeprefix("Bearer "),
    }


async def test_a_forgery_padded_with_junk_is_stored_with_its_known_fields_cut_short(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    forged = {
        **fake_api.notification(uid),
        "signature": "0" * 64,
        "productDetail": "p" * 5_000,
        **{f"junk{n}": "j" * 1_000 for n in range(10)},
    }
    assert (await fake_api.notify(forged)).status_code == 403

    (entry,) = await inbox(fake_api, attempt_id=uid)
    assert entry["verification"] == "rejected"
    assert not any(key.startswith("junk") for key in entry["fields"])
    assert entry["fields"]["merchantOrderId"] == uid
    assert len(entry["fields"]["productDetail"]) == 256
    stored = fake_api.snapshot(("notification_inbox",))["notification_inbox"]
    assert len(stored[0]) < 3_000


async def test_a_malformed_notification_is_bounded_too(fake_api: FakeStack) -> None:
    junk = {f"x{n}": "y" * 1_500 for n in range(10)}
    assert (await fake_api.notify({"merchantOrderId": "KSR-z", **junk})).status_code == 400
    (entry,) = await inbox(fake_api, verification="invalid")
    assert entry["fields"] == {"merchantOrderId": "KSR-z"}


async def test_rejected_notifications_are_deleted_after_the_retention_and_stay_counted(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    uid = await fake_api.started_qris(order)
    forged = {**fake_api.notification(uid), "signature": "0" * 64}
    for _ in range(3):
        assert (await fake_api.notify(forged)).status_code == 403
    assert (await fake_api.notify({"merchantOrderId": uid})).status_code == 400
    fake_api.gateway.pay(uid)
    assert (await fake_api.notify(fake_api.notification(uid))).status_code == 200
    before = (await fake_api.client.get("/metrics", headers=SCRAPER)).text

    fake_api.clock.advance(timedelta(days=6, hours=23))
    early = await run_pass(fake_api.container, owner="test", housekeeping=False)
    fake_api.clock.advance(timedelta(hours=2))
    summary = await run_pass(fake_api.container, owner="test", housekeeping=False)

    assert early["rejected_notifications_deleted"] == 0
    assert summary["rejected_notifications_deleted"] == 4
    (kept,) = await inbox(fake_api)
    assert kept["verification"] == "verified"
    after = (await fake_api.client.get("/metrics", headers=SCRAPER)).text
    deleted = "kasir_rejected_notifications_deleted_total"
    assert counter(after, deleted) - counter(before, deleted) == 4
    rejected = 'kasir_notifications_total{outcome="notification_rejected"}'
    assert counter(after, rejected) == counter(before, rejected) >= 3
