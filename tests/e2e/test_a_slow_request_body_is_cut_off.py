"""A request body that trickles in is answered 408 once its deadline passes, changing nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"request_body_timeout_seconds": 0.2}


async def trickle() -> AsyncIterator[bytes]:
    yield b'{"items": '
    await asyncio.sleep(2)  # never reached in full: the deadline cuts the request off first
    yield b"[]}"


async def test_a_body_slower_than_the_deadline_answers_408_and_closes(fake_api: FakeStack) -> None:
    before = fake_api.snapshot()
    transport = httpx.ASGITransport(app=fake_api.client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        started = asyncio.get_running_loop().time()
        response = await client.post(
            "/api/v1/orders",
            content=trickle(),
            headers={"Content-Type": "application/json"},
        )
        elapsed = asyncio.get_running_loop().time() - started

    fake_api.error(response, 408, "request_timeout")
    assert response.headers["Connection"] == "close"
    assert elapsed < 1.5
    assert fake_api.snapshot() == before


async def test_a_body_that_arrives_in_time_is_handled_as_usual(fake_api: FakeStack) -> None:
    item = await fake_api.add_menu_item()

    async def prompt() -> AsyncIterator[bytes]:
        yield b'{"items": [{"menu_item_id": '
        await asyncio.sleep(0.05)
        yield f'{item}, "quantity": 1}}]}}'.encode()

    transport = httpx.ASGITransport(app=fake_api.client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        response = await client.post(
            "/api/v1/orders", content=prompt(), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 201, response.text
