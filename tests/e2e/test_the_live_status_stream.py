"""The order's live status stream (`GET /api/v1/orders/{id}/events?stream_token=...`), served
by a real HTTP server (uvicorn on 127.0.0.1) around the e2e app: the current state first, each
change after, heartbeats, an `end` when the order is settled or the stream idles; a stream
token only for its own order and never the access token; bounds per order and per process
(429 `too_many_streams`); no database connection held while a stream waits."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.support.served import served

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, PlacedOrder

STEP_TIMEOUT = 10.0  # no step of a stream waits longer (bounded, not a timed assertion)


@dataclass
class Message:
    event: str | None
    data: str
    comment: bool = False
    id: str | None = None


class EventReader:
    """Reads one SSE response message by message (comments included)."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self) -> Message:
        async with asyncio.timeout(STEP_TIMEOUT):
            event: str | None = None
            data: list[str] = []
            comment = False
            event_id: str | None = None
            async for line in self._lines:
                if line == "":
                    if data or event or comment:
                        return Message(event, "\n".join(data), comment, event_id)
                    continue
                if line.startswith(":"):
                    comment = True
                elif line.startswith("id: "):
                    event_id = line.removeprefix("id: ")
                elif line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data.append(line.removeprefix("data: "))
            raise EOFError("the stream ended")

    async def next_event(self) -> Message:
        """The next message that is not a heartbeat."""
        while (message := await self.next()).comment:
            pass
        return message

    async def next_status(self) -> tuple[list[Message], Message]:
        """The order's events up to the next `status`, and that status."""
        events: list[Message] = []
        while (message := await self.next_event()).event != "status":
            events.append(message)
        return events, message


@dataclass
class Live:
    stack: FakeStack
    base: str

    async def stream_token(self, order: PlacedOrder) -> str:
        answer = await self.stack.client.post(
            f"/api/v1/orders/{order.id}/stream-token", headers=order.headers
        )
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["stream_token"]
        return token

    @contextlib.asynccontextmanager
    async def stream(self, order_id: int, token: str) -> AsyncIterator[httpx.Response]:
        async with (
            httpx.AsyncClient(base_url=self.base, timeout=STEP_TIMEOUT) as client,
            client.stream(
                "GET", f"/api/v1/orders/{order_id}/events", params={"stream_token": token}
            ) as response,
        ):
            yield response


@pytest.fixture
async def live(fake_api: FakeStack) -> AsyncIterator[Live]:
    """The e2e app (already started by its test client) behind uvicorn on a free port."""
    async with served(fake_api.client.app) as base:
        yield Live(fake_api, base)


async def _pay_in_cash(stack: FakeStack, order: PlacedOrder) -> None:
    answer = await stack.client.post(
        "/api/v1/payments/cash",
        json={"order_id": order.id, "amount_tendered": order.total},
        headers=stack.staff,
    )
    assert answer.status_code == 201, answer.text


async def test_the_stream_sends_the_state_then_each_change_and_ends_once_paid(live: Live) -> None:
    order = await live.stack.place_order()
    uid = (await live.stack.start_qris(order)).json()["order_uid"]
    token = await live.stream_token(order)

    async with live.stream(order.id, token) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(response)
        first = await reader.next_event()
        engine = live.stack.container.engine()
        waiting_connections = engine.pool.checkedout()  # type: ignore[attr-defined]
        await _pay_in_cash(live.stack, order)
        events, paid = await reader.next_status()
        end = await reader.next_event()

    assert first.event == "status"
    assert json.loads(first.data)["status"] == "awaiting_payment"
    assert json.loads(first.data)["qr"]["order_uid"] == uid
    assert waiting_connections == 0  # the stream waits without a database connection
    assert "order.paid" in [e.event for e in events]  # the news, numbered on from the state
    assert [int(e.id or 0) for e in events] == list(
        range(int(first.id or 0) + 1, int(first.id or 0) + 1 + len(events))
    )
    assert paid.id == events[-1].id
    assert json.loads(paid.data) | {"paid_at": None, "reference": None} == {
        "order_id": order.id,
        "status": "paid",
        "total": order.total,
        "qr": None,
        "preparing": False,
        "may_request_qr": False,
        "paid_at": None,
        "reference": None,
    }
    assert (end.event, end.data) == ("end", "settled")


async def test_a_settled_order_streams_its_state_and_ends_at_once(live: Live) -> None:
    order = await live.stack.place_order()
    await _pay_in_cash(live.stack, order)

    async with live.stream(order.id, await live.stream_token(order)) as response:
        reader = EventReader(response)
        state, end = await reader.next_event(), await reader.next_event()

    assert json.loads(state.data)["status"] == "paid"
    assert (end.event, end.data) == ("end", "settled")


async def test_a_stream_token_opens_only_its_own_orders_stream(live: Live) -> None:
    first, second = await live.stack.place_order(), await live.stack.place_order()
    token = await live.stream_token(first)
    client = live.stack.client

    other_order = await client.get(f"/api/v1/orders/{second.id}/events?stream_token={token}")
    tampered = await client.get(f"/api/v1/orders/{first.id}/events?stream_token={token[:-2]}")
    access_token = await client.get(f"/api/v1/orders/{first.id}/events?stream_token={first.token}")
    missing = await client.get(f"/api/v1/orders/{first.id}/events")

    for answer in (other_order, tampered, access_token, missing):
        live.stack.error(answer, 403, "stream_token_invalid")


async def test_an_expired_stream_token_is_told_apart(live: Live) -> None:
    order = await live.stack.place_order()
    token = await live.stream_token(order)
    live.stack.clock.advance(timedelta(seconds=901))

    answer = await live.stack.client.get(f"/api/v1/orders/{order.id}/events?stream_token={token}")

    live.stack.error(answer, 410, "stream_token_expired")


async def test_only_the_orders_token_holder_or_staff_get_a_stream_token(live: Live) -> None:
    order, other = await live.stack.place_order(), await live.stack.place_order()
    client = live.stack.client
    path = f"/api/v1/orders/{order.id}/stream-token"

    by_staff = await client.post(path, headers=live.stack.staff)
    by_other_token = await client.post(path, headers=other.headers)
    by_nobody = await client.post(path)

    assert by_staff.status_code == 201
    assert by_staff.json()["events_url"].startswith(f"/api/v1/orders/{order.id}/events?")
    assert order.token not in by_staff.text
    await live.stack.documented(by_staff, "POST /api/v1/orders/{order_id}/stream-token")
    live.stack.error(by_other_token, 404, "not_found")
    live.stack.error(by_nobody, 404, "not_found")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"stream_max_per_order": 1, "stream_max_per_process": 2}


async def test_streams_beyond_the_bounds_are_refused_with_429_until_one_closes(
    live: Live,
) -> None:
    a, b, c = [await live.stack.place_order() for _ in range(3)]
    tokens = {o.id: await live.stream_token(o) for o in (a, b, c)}
    client = live.stack.client

    async with live.stream(a.id, tokens[a.id]) as first:
        first_reader = EventReader(first)  # kept: a dropped reader closes its response
        await first_reader.next_event()
        same_order = await client.get(f"/api/v1/orders/{a.id}/events?stream_token={tokens[a.id]}")
        async with live.stream(b.id, tokens[b.id]) as second:
            second_reader = EventReader(second)
            await second_reader.next_event()
            third_in_process = await client.get(
                f"/api/v1/orders/{c.id}/events?stream_token={tokens[c.id]}"
            )
    async with live.stream(a.id, tokens[a.id]) as again:
        reopened = again.status_code

    live.stack.error(same_order, 429, "too_many_streams")
    assert same_order.headers["retry-after"] == "30"
    live.stack.error(third_in_process, 429, "too_many_streams")
    assert reopened == 200


@pytest.mark.parametrize(
    "settings_overrides", [{"stream_heartbeat_seconds": 0.2, "stream_idle_seconds": 1.0}]
)
async def test_a_quiet_stream_sends_heartbeats_then_ends_as_idle(live: Live) -> None:
    order = await live.stack.place_order()

    async with live.stream(order.id, await live.stream_token(order)) as response:
        reader = EventReader(response)
        messages = [await reader.next() for _ in range(3)]
        while not (last := await reader.next()).event:
            pass

    assert messages[0].event == "status"
    assert [m.comment for m in messages[1:]] == [True, True], messages
    assert (last.event, last.data) == ("end", "idle")


async def test_a_stopping_process_ends_its_streams_for_them_to_reconnect(live: Live) -> None:
    order = await live.stack.place_order()

    async with live.stream(order.id, await live.stream_token(order)) as response:
        reader = EventReader(response)
        await reader.next_event()
        live.stack.container.order_wakeups().drain()  # what SIGTERM does first
        end = await reader.next_event()

    assert (end.event, end.data) == ("end", "restart")


async def test_a_client_that_reconnects_gets_what_it_missed_in_order_then_the_state(
    live: Live,
) -> None:
    order = await live.stack.place_order()
    await live.stack.start_qris(order)
    token = await live.stream_token(order)
    async with live.stream(order.id, token) as response:
        first = await EventReader(response).next_event()
    await _pay_in_cash(live.stack, order)  # while the client was away

    async with (
        httpx.AsyncClient(base_url=live.base, timeout=STEP_TIMEOUT) as client,
        client.stream(
            "GET",
            f"/api/v1/orders/{order.id}/events",
            params={"stream_token": token},
            headers={"Last-Event-ID": first.id or ""},
        ) as resumed,
    ):
        reader = EventReader(resumed)
        missed, state = await reader.next_status()
        end = await reader.next_event()

    assert first.id is not None
    seqs = [int(m.id or 0) for m in missed]
    assert seqs == list(range(int(first.id) + 1, int(first.id) + 1 + len(missed)))
    assert "payment.qr_issued" not in [m.event for m in missed]  # seen before
    assert [m.event for m in missed][-1] == "order.paid"
    assert all(json.loads(m.data)["seq"] == int(m.id or 0) for m in missed)
    assert json.loads(state.data)["status"] == "paid"
    assert state.id == missed[-1].id
    assert (end.event, end.data) == ("end", "settled")


@pytest.mark.parametrize("bad", ["-1", "x", "1e3"])
async def test_a_malformed_last_event_id_is_refused(live: Live, bad: str) -> None:
    order = await live.stack.place_order()
    token = await live.stream_token(order)

    answer = await live.stack.client.get(
        f"/api/v1/orders/{order.id}/events?stream_token={token}", headers={"Last-Event-ID": bad}
    )

    live.stack.error(answer, 400, "invalid_request")
