"""One delivery attempt over HTTP: signed per Standard Webhooks (a receiver verifies it with
the `standardwebhooks` library), sent to the address that was checked with the host name
kept for the Host header and TLS, and every failure answered as an Attempt, never raised."""

from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook
from tests.support.resolvers import StaticResolver

from adapters.webhooks.sender import HttpWebhookSender
from application.destinations import DestinationPolicy
from application.outbox import OutboxEvent
from application.use_cases.webhook_feed import new_secret

EVENT = OutboxEvent(
    position=1,
    id="evt_0123456789abcdef",
    order_id=7,
    seq=3,
    type="order.paid",
    payload={"id": "evt_0123456789abcdef", "type": "order.paid", "seq": 3, "order": {"id": 7}},
    occurred_at=datetime(2026, 3, 4, tzinfo=UTC),
)
RESOLVER = StaticResolver({"hooks.example": ["93.184.216.34"], "inside.example": ["127.0.0.1"]})


def sender(handler: httpx.MockTransport) -> HttpWebhookSender:
    return HttpWebhookSender(
        httpx.AsyncClient(transport=handler), policy=DestinationPolicy(), resolver=RESOLVER
    )


async def test_a_delivery_is_signed_and_goes_to_the_checked_address() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    secret = new_secret()
    attempt = await sender(httpx.MockTransport(answer)).send(
        "https://hooks.example:8443/kasir?x=1", secret, EVENT
    )

    assert attempt.delivered
    [request] = seen
    assert str(request.url) == "https://93.184.216.34:8443/kasir?x=1"
    assert request.headers["host"] == "hooks.example:8443"
    assert request.extensions["sni_hostname"] == "hooks.example"
    assert request.headers["webhook-id"] == EVENT.id
    verified = Webhook(secret).verify(request.content, dict(request.headers))
    assert verified == EVENT.payload


async def test_a_refused_destination_is_never_called() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise AssertionError("called a refused destination")

    attempt = await sender(httpx.MockTransport(answer)).send(
        "https://inside.example/", new_secret(), EVENT
    )
    assert not attempt.delivered
    assert attempt.status_code is None
    assert attempt.error is not None
    assert "loopback" in attempt.error


@pytest.mark.parametrize(
    ("outcome", "status", "error"),
    [
        (httpx.Response(500), 500, "answered 500"),
        (httpx.Response(301, headers={"location": "http://127.0.0.1/"}), 301, "answered 301"),
        (httpx.ReadTimeout("slow"), None, "timed out"),
        (httpx.ConnectError("refused"), None, "no answer: ConnectError"),
    ],
)
async def test_a_failed_attempt_is_reported_not_raised(
    outcome: httpx.Response | Exception, status: int | None, error: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    attempt = await sender(httpx.MockTransport(answer)).send(
        "https://hooks.example/", new_secret(), EVENT
    )
    assert (attempt.delivered, attempt.status_code, attempt.error) == (False, status, error)
