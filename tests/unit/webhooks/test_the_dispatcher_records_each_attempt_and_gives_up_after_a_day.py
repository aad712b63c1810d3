"""The dispatcher's decisions on fakes: a 2xx is recorded delivered, a failure is due again
after the back-off, a delivery failing for the whole retry window gives up (and the store
pauses its subscriber), and a secret that no longer opens is a failure, not a crash."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.crypto.aead import AesGcmSealer
from adapters.in_memory.clock import SettableClock
from application.outbox import OutboxEvent
from application.use_cases.dispatch_webhooks import DispatchWebhooks
from application.use_cases.webhook_feed import secret_context
from application.webhooks import (
    RETRY_WINDOW,
    Attempt,
    ClaimedDelivery,
    Delivery,
    DeliveryStatus,
)

NOW = datetime(2026, 3, 4, tzinfo=UTC)
SEALER = AesGcmSealer("k" * 32, purpose=b"webhook-secrets")
EVENT = OutboxEvent(1, "evt_aa", 3, 1, "order.placed", {"id": "evt_aa"}, NOW)
DELIVERY = Delivery(
    id=9,
    subscription_id="whsub_01",
    event_id="evt_aa",
    event_type="order.placed",
    order_id=3,
    seq=1,
    status=DeliveryStatus.PENDING,
    attempts=0,
    next_attempt_at=NOW,
    created_at=NOW,
)


@dataclass
class Recorded:
    attempt: Attempt
    next_attempt_at: datetime | None
    give_up: bool


class OneDeliveryStore:
    """Leases one delivery once and remembers what the dispatcher recorded."""

    def __init__(self, delivery: Delivery, *, sealed: bytes) -> None:
        self.claimed = [ClaimedDelivery(delivery, EVENT, "https://hooks.example/", sealed)]
        self.recorded: list[Recorded] = []

    async def claim(self, subscription_id: str, **_: Any) -> list[ClaimedDelivery]:
        taken, self.claimed = self.claimed, []
        return taken

    async def record(
        self,
        delivery_id: int,
        *,
        owner: str,
        attempt: Attempt,
        now: datetime,
        next_attempt_at: datetime | None,
        give_up: bool,
    ) -> bool:
        self.recorded.append(Recorded(attempt, next_attempt_at, give_up))
        return True


class AnsweringSender:
    def __init__(self, attempt: Attempt) -> None:
        self.attempt = attempt
        self.secrets: list[str] = []

    async def send(self, url: str, secret: str, event: OutboxEvent) -> Attempt:
        self.secrets.append(secret)
        return self.attempt


def dispatcher(store: OneDeliveryStore, sender: AnsweringSender) -> DispatchWebhooks:
    return DispatchWebhooks(
        store=store,  # type: ignore[arg-type]
        sender=sender,
        sealer=SEALER,
        clock=SettableClock(NOW),
        batch=4,
        uniform=lambda low, high: high,
    )


SECRET = "whsec_c2VjcmV0"


def sealed(subscription: str = "whsub_01") -> bytes:
    return SEALER.seal(SECRET.encode(), context=secret_context(subscription))


async def test_a_2xx_is_recorded_delivered_with_the_subscribers_own_secret() -> None:
    store, sender = OneDeliveryStore(DELIVERY, sealed=sealed()), AnsweringSender(Attempt(204))
    report = await dispatcher(store, sender).deliver_due("whsub_01", owner="me")
    assert report.delivered == 1
    assert sender.secrets == [SECRET]
    assert store.recorded == [Recorded(Attempt(204), None, False)]


@pytest.mark.parametrize(
    ("attempts", "failing_for", "due_in", "give_up"),
    [
        (0, None, timedelta(seconds=5), False),
        (3, timedelta(minutes=1), timedelta(seconds=40), False),
        (30, RETRY_WINDOW - timedelta(seconds=1), timedelta(hours=1), False),
        (31, RETRY_WINDOW, None, True),
    ],
)
async def test_a_failure_is_due_again_after_the_back_off_until_a_day_has_passed(
    attempts: int, failing_for: timedelta | None, due_in: timedelta | None, give_up: bool
) -> None:
    delivery = replace(
        DELIVERY,
        attempts=attempts,
        first_failed_at=None if failing_for is None else NOW - failing_for,
    )
    store = OneDeliveryStore(delivery, sealed=sealed())
    report = await dispatcher(store, AnsweringSender(Attempt(500, "answered 500"))).deliver_due(
        "whsub_01", owner="me"
    )
    [recorded] = store.recorded
    assert recorded.give_up is give_up
    assert recorded.next_attempt_at == (None if due_in is None else NOW + due_in)
    assert (report.failed, report.gave_up) == ((0, 1) if give_up else (1, 0))


async def test_a_secret_sealed_for_another_subscription_is_a_failure_not_a_crash() -> None:
    store = OneDeliveryStore(DELIVERY, sealed=sealed(subscription="whsub_other"))
    sender = AnsweringSender(Attempt(204))
    await dispatcher(store, sender).deliver_due("whsub_01", owner="me")
    [recorded] = store.recorded
    assert sender.secrets == []
    assert recorded.attempt.error is not None
    assert "KASIR_SECRET_KEY" in recorded.attempt.error
