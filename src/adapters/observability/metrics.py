"""Prometheus metrics: notifications by outcome and signature scheme, payment state changes,
gateway latency and errors, payments handed to staff by reason.

prometheus-client is the maintained reference client. Metrics live in its default registry, so
`/metrics` serves them; with several worker processes set PROMETHEUS_MULTIPROC_DIR (see README).
"""

import time
from collections.abc import Mapping, Sequence
from functools import cache
from types import TracebackType

from prometheus_client import Counter, Histogram

from application.errors import GatewayError
from application.gateway import (
    GatewayStatus,
    PaymentGateway,
    PaymentNotification,
    QrisCharge,
    QrisChargeRequest,
    ReceivedNotification,
)
from application.ports import EventPublisher
from domain.events import DomainEvent, PaymentFlaggedForReview

NOTIFICATIONS = Counter(
    "kasir_notifications_total",
    "Gateway notifications received, by outcome (or rejection reason)",
    ["outcome"],
)
NOTIFICATION_SIGNATURES = Counter(
    "kasir_notification_signatures_total",
    "Gateway notifications whose signature verified, by the scheme that verified it "
    "(hmac or md5): shows which scheme Duitku really uses for this merchant",
    ["scheme"],
)
PAYMENT_EVENTS = Counter(
    "kasir_payment_events_total",
    "Domain events published (payment and order state changes), by event",
    ["event"],
)
REVIEW_FLAGS = Counter(
    "kasir_payment_review_flags_total",
    "Payments handed to staff for review, by reason (success_contradicted: a signed success "
    "the gateway's status contradicts, amount_mismatch, amount_unknown, status_check_rejected, "
    "still_open)",
    ["reason"],
)
GATEWAY_LATENCY = Histogram(
    "kasir_gateway_call_seconds",
    "Duration of calls to the payment gateway, by operation",
    ["operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
GATEWAY_ERRORS = Counter(
    "kasir_gateway_errors_total",
    "Failed calls to the payment gateway, by operation and error code",
    ["operation", "code"],
)
WEBHOOK_DELIVERIES = Counter(
    "kasir_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome (delivered, failed: to be retried, gave_up: failed "
    "for 24 hours, its subscriber paused)",
    ["outcome"],
)
REJECTED_NOTIFICATIONS_DELETED = Counter(
    "kasir_rejected_notifications_deleted_total",
    "Notifications that never verified, deleted after NOTIFICATION_REJECTED_RETENTION_DAYS "
    "(their arrival is counted in kasir_notifications_total by rejection reason)",
)


# `metric.labels`, remembered per label values: prometheus-client takes a lock and checks the
# values on every `labels` call, while a label set, once made, is kept for the life of the
# process anyway. Label values here come from small fixed sets (outcomes, event types,
# operations, error codes), so these caches are bounded by them.
_notification = cache(NOTIFICATIONS.labels)
_signature = cache(NOTIFICATION_SIGNATURES.labels)
_payment_event = cache(PAYMENT_EVENTS.labels)
_review_flag = cache(REVIEW_FLAGS.labels)
_gateway_latency = cache(GATEWAY_LATENCY.labels)
_gateway_error = cache(GATEWAY_ERRORS.labels)
_webhook_delivery = cache(WEBHOOK_DELIVERIES.labels)


class _Timed:
    def __init__(self, operation: str) -> None:
        self._operation = operation
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _gateway_latency(self._operation).observe(time.perf_counter() - self._started)
        if isinstance(exc, GatewayError):
            _gateway_error(self._operation, exc.code).inc()


class InstrumentedGateway:
    """Wraps any PaymentGateway and measures its calls; behaviour is unchanged."""

    def __init__(self, inner: PaymentGateway) -> None:
        self._inner = inner

    def __repr__(self) -> str:
        return f"InstrumentedGateway({self._inner!r})"

    async def create_qris(self, request: QrisChargeRequest) -> QrisCharge:
        with _Timed("create_qris"):
            return await self._inner.create_qris(request)

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        with _Timed("check_status"):
            return await self._inner.check_status(attempt_id)

    async def check_status_once(self, attempt_id: str) -> GatewayStatus:
        with _Timed("check_status"):
            return await self._inner.check_status_once(attempt_id)

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification:
        return self._inner.read_notification(fields)

    def verify_notification(self, fields: Mapping[str, str]) -> PaymentNotification:
        notification = self._inner.verify_notification(fields)
        _signature(notification.signature_scheme).inc()
        return notification

    @property
    def cancels_qris(self) -> bool:
        return self._inner.cancels_qris

    async def cancel_qris(self, attempt_id: str) -> None:
        with _Timed("cancel_qris"):
            await self._inner.cancel_qris(attempt_id)


class CountingEventPublisher:
    """Counts each event by type (and each review flag by reason), then hands the events to
    the next publisher."""

    def __init__(self, inner: EventPublisher) -> None:
        self._inner = inner

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            _payment_event(type(event).__name__).inc()
            if isinstance(event, PaymentFlaggedForReview):
                _review_flag(event.reason).inc()
        await self._inner.publish(events)


def count_notification(outcome: str) -> None:
    _notification(outcome).inc()


def count_rejected_notifications_deleted(count: int) -> None:
    REJECTED_NOTIFICATIONS_DELETED.inc(count)


def count_webhook_deliveries(*, delivered: int, failed: int, gave_up: int) -> None:
    for outcome, count in (("delivered", delivered), ("failed", failed), ("gave_up", gave_up)):
        if count:
            _webhook_delivery(outcome).inc(count)
