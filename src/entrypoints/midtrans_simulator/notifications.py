"""Midtrans's HTTP notifications: the signed JSON body and its retrying delivery."""

import asyncio
from typing import Any

import httpx

from entrypoints.duitku_simulator.store import DeliveryAttempt
from entrypoints.midtrans_simulator.api import midtrans_time, transaction_body
from entrypoints.midtrans_simulator.config import MidtransSimulatorConfig
from entrypoints.midtrans_simulator.signatures import signature_key
from entrypoints.midtrans_simulator.store import Transaction


def build_notification(
    config: MidtransSimulatorConfig, transaction: Transaction, *, wrong_signature: bool = False
) -> dict[str, Any]:
    """The JSON body Midtrans posts for the transaction as it stands now."""
    body = transaction_body(config, transaction)
    body["status_message"] = "midtrans payment notification"
    body["transaction_type"] = "on-us"
    body["issuer"] = transaction.acquirer
    if transaction.settled_at is not None:
        body["settlement_time"] = midtrans_time(transaction.settled_at)
    # A wrong signature has the right shape, so only verification catches it.
    order_id = "not-the-signed-order" if wrong_signature else body["order_id"]
    body["signature_key"] = signature_key(
        order_id, body["status_code"], body["gross_amount"], config.server_key
    )
    return body


class NotificationSender:
    """Posts JSON notifications until one is answered 2xx or the attempts run out (Midtrans
    retries anything else). The client is opened on first use and closed by `aclose`."""

    def __init__(
        self,
        *,
        max_attempts: int,
        retry_delay_s: float,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._max_attempts = max_attempts
        self._retry_delay_s = retry_delay_s
        self._timeout_s = timeout_s
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout_s, transport=self._transport, follow_redirects=False
            )
        return self._client

    async def deliver(self, url: str, body: dict[str, Any]) -> list[DeliveryAttempt]:
        attempts: list[DeliveryAttempt] = []
        for number in range(1, self._max_attempts + 1):
            if number > 1:
                await asyncio.sleep(self._retry_delay_s)
            try:
                response = await self._http().post(url, json=body)
            except httpx.HTTPError as error:
                attempts.append(DeliveryAttempt(number, None, f"{type(error).__name__}: {error}"))
                continue
            attempts.append(DeliveryAttempt(number, response.status_code, None))
            if 200 <= response.status_code < 300:
                break
        return attempts

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
