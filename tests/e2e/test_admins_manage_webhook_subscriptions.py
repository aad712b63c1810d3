"""Webhook subscriptions and deliveries through the HTTP API: an admin registers a receiver
and sees its secret once (stored sealed), pauses and resumes it; a destination kasir may not
call is refused with a stable code and nothing stored; deliveries are listed and replayed
by staff only, and every such action is in the audit log."""

import sqlite3
from contextlib import closing

import pytest
from tests.e2e.conftest import SimulatorStack
from tests.support.overrides import replace
from tests.support.resolvers import StaticResolver

from application.destinations import DestinationPolicy

SUBSCRIPTIONS = "/api/v1/webhook-subscriptions"
DELIVERIES = "/api/v1/webhook-deliveries"


def strict(api: SimulatorStack) -> None:
    """The rules outside simulator mode, with names that resolve without a network."""
    replace(
        api.container,
        destination_policy=DestinationPolicy(),
        resolver=StaticResolver(
            {"hooks.example": ["93.184.216.34"], "inside.example": ["10.1.2.3"]}
        ),
    )


async def test_an_admin_registers_a_receiver_and_sees_its_secret_only_once(
    api: SimulatorStack,
) -> None:
    strict(api)
    created = await api.client.post(
        SUBSCRIPTIONS,
        json={"url": "https://hooks.example/kasir", "event_types": ["order.paid"]},
        headers=api.staff,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert (body["status"], body["event_types"]) == ("active", ["order.paid"])

    listed = await api.client.get(SUBSCRIPTIONS, headers=api.staff)
    mine = [s for s in listed.json()["items"] if s["id"] == body["id"]]
    assert len(mine) == 1
    assert "secret" not in mine[0]
    with closing(sqlite3.connect(api.database)) as connection:
        (sealed,) = connection.execute(
            "SELECT secret_sealed FROM webhook_subscriptions WHERE id = ?", (body["id"],)
        ).fetchone()
        actions = [a for (a,) in connection.execute("SELECT action FROM audit_log")]
    assert secret.encode() not in sealed
    assert secret.removeprefix("whsec_").encode() not in sealed

    paused = await api.client.patch(
        f"{SUBSCRIPTIONS}/{body['id']}", json={"status": "paused"}, headers=api.staff
    )
    resumed = await api.client.patch(
        f"{SUBSCRIPTIONS}/{body['id']}", json={"status": "active"}, headers=api.staff
    )
    assert (paused.json()["status"], resumed.json()["status"]) == ("paused", "active")
    assert paused.json()["paused_reason"] == "paused by alice"
    with closing(sqlite3.connect(api.database)) as connection:
        actions = [a for (a,) in connection.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-3:] == [
        "webhook_subscription.created",
        "webhook_subscription.paused",
        "webhook_subscription.resumed",
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "http://hooks.example/kasir"}, "webhook_destination_refused"),
        ({"url": "https://inside.example/kasir"}, "webhook_destination_refused"),
        ({"url": "https://127.0.0.1/kasir"}, "webhook_destination_refused"),
        ({"url": "https://[::ffff:169.254.169.254]/"}, "webhook_destination_refused"),
        ({"url": "https://nowhere.example/"}, "webhook_destination_refused"),
        ({"url": "https://hooks.example/", "event_types": ["order.eaten"]}, "unknown_event_type"),
    ],
)
async def test_a_destination_kasir_may_not_call_is_refused_and_nothing_is_stored(
    api: SimulatorStack, body: dict[str, object], code: str
) -> None:
    strict(api)
    before = api.count("webhook_subscriptions")
    refused = await api.client.post(SUBSCRIPTIONS, json=body, headers=api.staff)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code
    assert api.count("webhook_subscriptions") == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", SUBSCRIPTIONS, None),
        ("POST", SUBSCRIPTIONS, {"url": "https://hooks.example/"}),
        ("PATCH", f"{SUBSCRIPTIONS}/whsub_00", {"status": "paused"}),
        ("GET", DELIVERIES, None),
        ("POST", f"{DELIVERIES}/1/replay", None),
        ("POST", f"{SUBSCRIPTIONS}/whsub_00/replay", {"from_event_id": "evt_00"}),
    ],
)
async def test_only_staff_reach_the_feeds_routes(
    api: SimulatorStack, method: str, path: str, body: dict[str, str] | None
) -> None:
    answer = await api.client.request(method, path, json=body)
    assert answer.status_code == 401


async def test_staff_list_the_deliveries_of_a_subscriber_and_replay_one(
    api: SimulatorStack,
) -> None:
    created = await api.client.post(
        SUBSCRIPTIONS, json={"url": "http://127.0.0.1:9/never"}, headers=api.staff
    )
    subscription = created.json()["id"]
    item = await api.add_menu_item()
    for _ in range(3):
        await api.place_order((item, 1))

    page = await api.client.get(
        DELIVERIES, params={"subscription_id": subscription, "limit": 2}, headers=api.staff
    )
    rest = await api.client.get(
        DELIVERIES,
        params={"subscription_id": subscription, "before_id": page.json()["next_before_id"]},
        headers=api.staff,
    )
    listed = page.json()["items"] + rest.json()["items"]
    assert [d["event_type"] for d in listed] == ["order.placed"] * 3
    assert [d["seq"] for d in listed] == [1, 1, 1]
    assert listed[0]["id"] > listed[-1]["id"]  # newest first
    assert rest.json()["next_before_id"] is None

    replayed = await api.client.post(f"{DELIVERIES}/{listed[-1]['id']}/replay", headers=api.staff)
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 0)
    unknown = await api.client.post(f"{DELIVERIES}/999999/replay", headers=api.staff)
    assert unknown.status_code == 404
    from_unknown = await api.client.post(
        f"{SUBSCRIPTIONS}/{subscription}/replay",
        json={"from_event_id": "evt_0000"},
        headers=api.staff,
    )
    assert from_unknown.status_code == 404
