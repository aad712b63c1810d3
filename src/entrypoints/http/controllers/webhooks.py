"""The webhook feed's routes: subscriptions (admins) and deliveries (staff), docs/events.md.

Until staff accounts exist every staff token is an admin; the use cases check the role.
"""

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from application.callers import Staff
from application.use_cases.webhook_feed import (
    CreateSubscription,
    ListDeliveries,
    ListSubscriptions,
    ReplayDeliveries,
    SetSubscriptionStatus,
)
from application.webhooks import MAX_PAGE, DeliveryQuery, DeliveryStatus, SubscriptionStatus
from entrypoints.http.auth import STAFF_ONLY as STAFF
from entrypoints.http.errors import responses
from entrypoints.http.schemas.constraints import MAX_ID, PathId
from entrypoints.http.schemas.webhooks import (
    CreatedSubscriptionResponse,
    CreateSubscriptionRequest,
    DeliveryListResponse,
    DeliveryResponse,
    ReplayFromRequest,
    ReplayResponse,
    SubscriptionListResponse,
    SubscriptionResponse,
    UpdateSubscriptionRequest,
)

SubscriptionIdPath = Annotated[
    str, PathParameter(min_length=1, max_length=40, pattern=r"^whsub_[0-9a-f]+$")
]


class WebhookSubscriptionController(Controller):
    path = "/api/v1/webhook-subscriptions"
    tags = ["webhooks"]  # noqa: RUF012

    @post(
        "/",
        summary="Register a receiver of the signed webhook feed (admin)",
        description=(
            "Answers the subscription with its `whsec_` signing secret, shown only here. The "
            "URL is checked now and at every delivery: 422 webhook_destination_refused for a "
            "loopback, link-local or (outside WEBHOOK_ALLOWED_PRIVATE_NETWORKS) private "
            "address, or http outside those networks; 422 unknown_event_type."
        ),
        status_code=201,
        security=STAFF,
        responses=responses(400, 401, 403, 413, 415, 422),
    )
    async def create(
        self,
        data: JSONBody[CreateSubscriptionRequest],
        create_subscription: NamedDependency[CreateSubscription],
        staff: NamedDependency[Staff],
    ) -> CreatedSubscriptionResponse:
        created = await create_subscription.execute(data.url, data.event_types, caller=staff)
        shown = SubscriptionResponse.of(created.subscription)
        return CreatedSubscriptionResponse(
            **{field: getattr(shown, field) for field in shown.__struct_fields__},
            secret=created.secret,
        )

    @get(
        "/",
        summary="Every webhook subscription, paused ones with the reason (admin)",
        security=STAFF,
        responses=responses(400, 401, 403),
    )
    async def list_all(
        self,
        list_subscriptions: NamedDependency[ListSubscriptions],
        staff: NamedDependency[Staff],
    ) -> SubscriptionListResponse:
        found = await list_subscriptions.execute(caller=staff)
        return SubscriptionListResponse(items=[SubscriptionResponse.of(s) for s in found])

    @patch(
        "/{subscription_id:str}",
        summary="Pause or resume a webhook subscription (admin)",
        description="A paused subscription's events still queue and go out, in order, once "
        "it is resumed.",
        security=STAFF,
        responses=responses(400, 401, 403, 404, 413, 415),
    )
    async def update(
        self,
        subscription_id: SubscriptionIdPath,
        data: JSONBody[UpdateSubscriptionRequest],
        set_subscription_status: NamedDependency[SetSubscriptionStatus],
        staff: NamedDependency[Staff],
    ) -> SubscriptionResponse:
        changed = await set_subscription_status.execute(
            subscription_id, SubscriptionStatus(data.status), caller=staff
        )
        return SubscriptionResponse.of(changed)

    @post(
        "/{subscription_id:str}/replay",
        summary="Send an event and every later one again to this subscriber (staff)",
        status_code=200,
        security=STAFF,
        responses=responses(400, 401, 404, 413, 415),
    )
    async def replay_from(
        self,
        subscription_id: SubscriptionIdPath,
        data: JSONBody[ReplayFromRequest],
        replay_deliveries: NamedDependency[ReplayDeliveries],
        staff: NamedDependency[Staff],
    ) -> ReplayResponse:
        count = await replay_deliveries.from_event(
            subscription_id, data.from_event_id, caller=staff
        )
        return ReplayResponse(replayed=count)


class WebhookDeliveryController(Controller):
    path = "/api/v1/webhook-deliveries"
    tags = ["webhooks"]  # noqa: RUF012

    @get(
        "/",
        summary="Webhook deliveries, newest first, with their failures (staff)",
        security=STAFF,
        responses=responses(400, 401),
    )
    async def list_deliveries(
        self,
        list_deliveries: NamedDependency[ListDeliveries],
        staff: NamedDependency[Staff],
        subscription_id: Annotated[
            str | None, QueryParameter(max_length=40, pattern=r"^whsub_[0-9a-f]+$")
        ] = None,
        status: FromQuery[DeliveryStatus | None] = None,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> DeliveryListResponse:
        found = await list_deliveries.execute(
            DeliveryQuery(
                subscription_id=subscription_id, status=status, before_id=before_id, limit=limit
            ),
            caller=staff,
        )
        return DeliveryListResponse(
            items=[DeliveryResponse.of(d) for d in found],
            next_before_id=found[-1].id if len(found) == limit else None,
        )

    @post(
        "/{delivery_id:int}/replay",
        summary="Send one delivery again now, whatever its status (staff)",
        status_code=200,
        security=STAFF,
        responses=responses(400, 401, 404),
    )
    async def replay(
        self,
        delivery_id: PathId,
        replay_deliveries: NamedDependency[ReplayDeliveries],
        staff: NamedDependency[Staff],
    ) -> DeliveryResponse:
        return DeliveryResponse.of(await replay_deliveries.one(delivery_id, caller=staff))
