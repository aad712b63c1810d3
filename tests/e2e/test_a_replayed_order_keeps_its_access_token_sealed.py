"""An idempotent replay of `POST /api/v1/orders` hands the order's access token out again, so
the kept answer holds it for 24 hours: it is stored sealed with KASIR_SECRET_KEY, never in
clear, and a kept answer that no longer opens is refused, not replayed."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

from tests.support.overrides import replace

from adapters.crypto.aead import AesGcmSealer

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack

KEY = "Idempotency-Key"
ORDERS = "/api/v1/orders"


def _kept_bodies(stack: FakeStack) -> list[bytes]:
    with closing(sqlite3.connect(stack.database)) as connection:
        rows = connection.execute("SELECT response_body FROM idempotency_keys").fetchall()
    return [bytes(body) for (body,) in rows]


async def test_the_kept_answer_does_not_hold_the_token_in_clear_and_a_replay_returns_it(
    fake_api: FakeStack,
) -> None:
    item = await fake_api.add_menu_item()
    body = {"items": [{"menu_item_id": item, "quantity": 1}]}

    first = await fake_api.client.post(ORDERS, json=body, headers={KEY: "sealed-order-key-1"})
    replay = await fake_api.client.post(ORDERS, json=body, headers={KEY: "sealed-order-key-1"})

    assert first.status_code == replay.status_code == 201
    token = first.json()["access_token"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["access_token"] == token
    [kept] = _kept_bodies(fake_api)
    assert token.encode() not in kept
    assert b"access_token" not in kept


async def test_a_kept_answer_sealed_under_another_secret_is_refused_with_422(
    fake_api: FakeStack,
) -> None:
    item = await fake_api.add_menu_item()
    body = {"items": [{"menu_item_id": item, "quantity": 1}]}
    first = await fake_api.client.post(ORDERS, json=body, headers={KEY: "sealed-order-key-2"})
    assert first.status_code == 201
    rotated = AesGcmSealer("a-new-secret-after-rotation-0123456789", purpose=b"idempotent-replays")
    replace(fake_api.container, replay_sealer=rotated)

    again = await fake_api.client.post(ORDERS, json=body, headers={KEY: "sealed-order-key-2"})

    fake_api.error(again, 422, "idempotency_key_unreadable")
    assert first.json()["access_token"] not in again.text
    await fake_api.documented(again, f"POST {ORDERS}")
    assert fake_api.count("orders") == 1
