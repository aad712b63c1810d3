"""Delivering a callback the way gateways do: post it, and post it again after a delay until
the receiver accepts it or the attempts run out. What counts as accepted (Duitku: HTTP 200
only; Midtrans: any 2xx) and the body's encoding are the gateway's; the retrying is common."""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One HTTP attempt to deliver a callback: the status received, or why there was none,
    and whether the gateway would count it as delivered (so it stops retrying)."""

    attempt: int
    status_code: int | None
    error: str | None
    succeeded: bool = False


class CallbackPoster:
    """Posts a callback with a gateway's retry rule: up to N attempts until one is accepted
    (a gateway's sender says which statuses count, in `accepts`).

    The httpx client is created on first use and closed by ``aclose``: a simulator mounted
    inside another app never sees its own lifespan events, so the host must close it.
    """

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

    def accepts(self, status_code: int) -> bool:
        """Whether the gateway counts this answer as delivered: any 2xx unless it says."""
        return 200 <= status_code < 300

    async def post(
        self, url: str, *, form: dict[str, str] | None = None, json: Any = None
    ) -> list[DeliveryAttempt]:
        """Post ``form`` (url-encoded) or ``json`` to ``url`` until it is accepted."""
        attempts: list[DeliveryAttempt] = []
        for number in range(1, self._max_attempts + 1):
            if number > 1:
                await asyncio.sleep(self._retry_delay_s)
            try:
                response = await self._http().post(url, data=form, json=json)
            except httpx.HTTPError as error:
                attempts.append(DeliveryAttempt(number, None, f"{type(error).__name__}: {error}"))
                continue
            accepted = self.accepts(response.status_code)
            attempts.append(DeliveryAttempt(number, response.status_code, None, accepted))
            if accepted:
                break
        return attempts

    async def aclose(self) -> None:
        """Close the HTTP client if one was opened; safe to call more than once."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def delivery_view(attempt: DeliveryAttempt) -> dict[str, Any]:
    """JSON shape of one callback attempt."""
    return {"attempt": attempt.attempt, "status_code": attempt.status_code, "error": attempt.error}


def deliveries_view(deliveries: list[DeliveryAttempt]) -> dict[str, Any]:
    """JSON shape of the attempts one callback caused, and whether any got through."""
    return {
        "callback_deliveries": [delivery_view(d) for d in deliveries],
        "callback_delivered": any(d.succeeded for d in deliveries),
    }
