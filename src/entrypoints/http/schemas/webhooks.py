"""Webhook feed schemas: subscriptions, deliveries, replays (docs/events.md)."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from application.outbox import ALL_EVENT_TYPES
from application.webhooks import Delivery, Subscription
from entrypoints.http.input_guard import SINGLE_LINE

EventType = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z_]+\.[a-z_]+$",
        description=f"one of {list(ALL_EVENT_TYPES)}",
    ),
]
WebhookUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=8,
        max_length=2000,
        pattern=SINGLE_LINE,
        description="https:// (http:// only on WEBHOOK_ALLOWED_PRIVATE_NETWORKS)",
    ),
]
SubscriptionId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^whsub_[0-9a-f]+$")
]
EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^evt_[0-9a-f]+$")]


class CreateSubscriptionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: WebhookUrl
    event_types: Annotated[
        list[EventType],
        msgspec.Meta(max_length=32, description="the types to receive; all when empty or left out"),
    ] = msgspec.field(default_factory=list)


class UpdateSubscriptionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: Annotated[
        Literal["active", "paused"],
        msgspec.Meta(description="paused: deliveries wait (events still queue); active: resume"),
    ]


class ReplayFromRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    from_event_id: Annotated[
        EventId, msgspec.Meta(description="send this event and every later one again")
    ]


class SubscriptionResponse(msgspec.Struct, kw_only=True):
    id: str
    url: str
    event_types: list[str]
    status: str
    paused_reason: str | None
    paused_at: datetime | None
    from_setting: Annotated[bool, msgspec.Meta(description="the WEBHOOK_URL setting's subscriber")]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, subscription: Subscription) -> "SubscriptionResponse":
        return cls(
            id=subscription.id,
            url=subscription.url,
            event_types=list(subscription.event_types),
            status=subscription.status.value,
            paused_reason=subscription.paused_reason,
            paused_at=subscription.paused_at,
            from_setting=subscription.from_setting,
            created_at=subscription.created_at,
            created_by=subscription.created_by,
        )


class CreatedSubscriptionResponse(SubscriptionResponse, kw_only=True):
    secret: Annotated[
        str,
        msgspec.Meta(description="whsec_ signing secret; shown only in this answer, keep it"),
    ]


class SubscriptionListResponse(msgspec.Struct, kw_only=True):
    items: list[SubscriptionResponse]


class DeliveryResponse(msgspec.Struct, kw_only=True):
    id: int
    subscription_id: str
    event_id: Annotated[str, msgspec.Meta(description="the webhook-id header of every attempt")]
    event_type: str
    order_id: int
    seq: int
    status: Annotated[str, msgspec.Meta(description="pending, delivered or failed (gave up)")]
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    first_failed_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> "DeliveryResponse":
        return cls(
            id=delivery.id,
            subscription_id=delivery.subscription_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            order_id=delivery.order_id,
            seq=delivery.seq,
            status=delivery.status.value,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            first_failed_at=delivery.first_failed_at,
            last_attempt_at=delivery.last_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
        )


class DeliveryListResponse(msgspec.Struct, kw_only=True):
    items: list[DeliveryResponse]
    next_before_id: Annotated[
        int | None, msgspec.Meta(description="pass as before_id for the next page")
    ] = None


class ReplayResponse(msgspec.Struct, kw_only=True):
    replayed: Annotated[int, msgspec.Meta(description="deliveries made due again")]
