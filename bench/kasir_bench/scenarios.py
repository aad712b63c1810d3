"""The requests the scenarios send, prepared through the running server.

Orders and QRIS attempts are made with kasir's own API (so the fake gateway inside the server
knows every transaction); each callback is signed here the way Duitku signs it, with the fake's
key. The lines files hold one request each for bench/lua/lines.lua.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kasir_bench.constants import CUSTOMER, MERCHANT_CODE, SIGNING_KEY, WEBHOOK


def sign(amount: int, attempt_id: str) -> str:
    """Duitku's callback signature: HMAC-SHA256 of merchantCode + amount + merchantOrderId."""
    message = f"{MERCHANT_CODE}{amount}{attempt_id}".encode()
    return hmac.new(SIGNING_KEY.encode(), message, hashlib.sha256).hexdigest()


def callback_body(attempt_id: str, amount: int, reference: str, n: int) -> str:
    """The form body Duitku POSTs for a paid QRIS transaction (all of its fields)."""
    return urllib.parse.urlencode(
        {
            "merchantCode": MERCHANT_CODE,
            "amount": str(amount),
            "merchantOrderId": attempt_id,
            "productDetail": f"Pesanan kasir {n}",
            "additionalParam": "",
            "paymentCode": "SP",
            "resultCode": "00",
            "merchantUserId": "budi@example.test",
            "reference": reference,
            "signature": sign(amount, attempt_id),
            "publisherOrderId": f"PUB{n:010d}",
            "spUserHash": "f3c1a7e0b54d4d2c9d0e8a1b2c3d4e5f",
            "settlementDate": "2026-01-02",
            "issuerCode": "93600918",
            "customerName": "BUDI S***",
        }
    )


@dataclass
class PlacedOrder:
    id: int
    token: str
    total: int


@dataclass
class Attempt:
    order: PlacedOrder
    attempt_id: str
    amount: int
    reference: str


def qris_request(order: PlacedOrder) -> dict[str, Any]:
    return {"order_id": order.id, "amount": order.total, "customer_details": CUSTOMER}


class Setup:
    """Places orders and starts QRIS attempts through the running server, concurrently."""

    def __init__(self, base_url: str, item_id: int, concurrency: int = 16) -> None:
        self.base_url = base_url
        self.item_id = item_id
        self.concurrency = concurrency

    async def _order(self, client: httpx.AsyncClient) -> PlacedOrder:
        response = await client.post(
            "/api/v1/orders", json={"items": [{"menu_item_id": self.item_id, "quantity": 1}]}
        )
        response.raise_for_status()
        body = response.json()
        return PlacedOrder(body["id"], body["access_token"], body["total"])

    async def _attempt(self, client: httpx.AsyncClient, order: PlacedOrder) -> Attempt:
        response = await client.post(
            "/api/v1/payments/qris",
            headers={"X-Order-Token": order.token},
            json=qris_request(order),
        )
        response.raise_for_status()
        body = response.json()
        return Attempt(order, body["order_uid"], body["amount"], body["transaction_token"])

    async def _orders(self, count: int) -> list[PlacedOrder]:
        return [order for order, _ in await self._many(count, with_attempt=False)]

    async def _attempts(self, count: int) -> list[Attempt]:
        return [attempt for _, attempt in await self._many(count, with_attempt=True) if attempt]

    async def _many(
        self, count: int, *, with_attempt: bool
    ) -> list[tuple[PlacedOrder, Attempt | None]]:
        results: list[tuple[PlacedOrder, Attempt | None]] = []
        queue = iter(range(count))
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=60) as client:

            async def worker() -> None:
                for _ in queue:
                    order = await self._order(client)
                    attempt = await self._attempt(client, order) if with_attempt else None
                    results.append((order, attempt))

            await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        return results

    def orders(self, count: int) -> list[PlacedOrder]:
        return asyncio.run(self._orders(count))

    def attempts(self, count: int) -> list[Attempt]:
        return asyncio.run(self._attempts(count))

    def settle(self, attempt: Attempt) -> str:
        """Send one callback for `attempt` outside wrk; returns kasir's outcome."""
        response = httpx.post(
            f"{self.base_url}{WEBHOOK}",
            content=callback_body(attempt.attempt_id, attempt.amount, attempt.reference, 0),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
        if response.status_code != 200:
            raise RuntimeError(f"the setup callback failed: {response.status_code} {response.text}")
        outcome: str = response.json()["outcome"]
        return outcome

    def first_settled(self) -> Attempt:
        """A paid attempt, for the duplicate-callback scenario."""
        attempt = self.attempts(1)[0]
        outcome = self.settle(attempt)
        if outcome != "order_paid":
            raise RuntimeError(f"the setup callback was not applied: {outcome}")
        return attempt


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def callback_lines(path: Path, attempts: Sequence[Attempt]) -> Path:
    """One signed callback per attempt (mode `form`)."""
    return write_lines(
        path,
        [callback_body(a.attempt_id, a.amount, a.reference, i) for i, a in enumerate(attempts)],
    )


def naive_lines(path: Path, orders: Sequence[tuple[int, int]]) -> Path:
    """One signed callback per (order id, total), the order's id as merchantOrderId: what the
    naive handler (`POST /bench/callback`) takes (mode `form`)."""
    return write_lines(
        path,
        [
            callback_body(str(order_id), total, f"NAIVE{i:010d}", i)
            for i, (order_id, total) in enumerate(orders)
        ],
    )


def qris_lines(path: Path, orders: Sequence[PlacedOrder]) -> Path:
    """One QRIS request per order, after its token (mode `json`)."""
    return write_lines(
        path,
        [f"{o.token}\t{json.dumps(qris_request(o), separators=(',', ':'))}" for o in orders],
    )


def get_lines(path: Path, orders: Sequence[PlacedOrder]) -> Path:
    """One order read per order, after its token (mode `get`)."""
    return write_lines(path, [f"{o.token}\t/{o.id}" for o in orders])
