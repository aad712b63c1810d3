"""The order's live status for browsers: a short-lived stream token, then Server-Sent Events.

A browser's EventSource cannot send headers, so the stream takes its credential in the query
string: a stream token bound to the order (application.order_passes), issued to the order's
token holder or staff by `POST /api/v1/orders/{id}/stream-token` or embedded in the payment
page, never the order's access token (which would then sit in proxy logs and history).
"""

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent

from application.callers import OrderPassHolder, Staff
from application.live_status import GetLiveStatus
from application.order_passes import OrderPasses
from entrypoints.http.auth import STAFF_OR_ORDER_TOKEN as ORDER_TOKEN
from entrypoints.http.auth import order_caller
from entrypoints.http.controllers.orders import OrderToken
from entrypoints.http.errors import responses
from entrypoints.http.live_status.slots import StreamSlots
from entrypoints.http.live_status.stream import OrderStream, StreamTiming
from entrypoints.http.live_status.wakeups import OrderWakeups
from entrypoints.http.schemas.constraints import PathId
from entrypoints.http.schemas.orders import StreamTokenResponse

LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        required=False,
        pattern=r"^[0-9]{1,18}$",  # ASCII digits only: the order's sequence number
        description="The last event id received: the order's events after it are sent first",
    ),
]

StreamTokenParam = Annotated[
    str | None,
    QueryParameter(
        max_length=512, description="A token from POST /api/v1/orders/{order_id}/stream-token"
    ),
]


class OrderEventsController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]  # noqa: RUF012

    @post(
        "/{order_id:int}/stream-token",
        summary="A short-lived token to open the order's live status stream (EventSource)",
        description="Valid STREAM_TOKEN_SECONDS, for this order only; not the access token.",
        status_code=201,
        security=ORDER_TOKEN,
        responses=responses(400, 404),
    )
    async def stream_token(
        self,
        order_id: PathId,
        get_live_status: NamedDependency[GetLiveStatus],
        stream_tokens: NamedDependency[OrderPasses],
        maybe_staff: NamedDependency[Staff | None],
        order_token: OrderToken = None,
    ) -> StreamTokenResponse:
        # Authorized by the use case's read: anybody else is told the order does not exist.
        await get_live_status.execute(order_id, caller=order_caller(maybe_staff, order_token))
        issued = stream_tokens.issue(order_id)
        return StreamTokenResponse(
            stream_token=issued.value,
            expires_at=issued.expires_at,
            events_url=f"/api/v1/orders/{order_id}/events?stream_token={issued.value}",
        )

    @get(
        "/{order_id:int}/events",
        summary="The order's live status as Server-Sent Events",
        description=(
            "`event: status` with the customer's view of the order (the same document as "
            "GET /pay/{order_id}/status) first, then at each change; with `Last-Event-ID`, "
            "the order's events after it first (`event:` their dotted type, `id:` the "
            "order's sequence, as in docs/events.md); heartbeat comments; "
            "`event: end` (`settled`, `idle` or `restart`) before the stream closes. 403 "
            "stream_token_invalid, 410 stream_token_expired, 429 too_many_streams."
        ),
        media_type="text/event-stream",
        responses=responses(400, 403, 404, 410, 429),
    )
    async def events(
        self,
        order_id: PathId,
        stream_tokens: NamedDependency[OrderPasses],
        get_live_status: NamedDependency[GetLiveStatus],
        order_wakeups: NamedDependency[OrderWakeups],
        stream_slots: NamedDependency[StreamSlots],
        stream_timing: NamedDependency[StreamTiming],
        stream_token: StreamTokenParam = None,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        stream_tokens.check(order_id, stream_token)
        caller = OrderPassHolder(order_id)
        after_seq = int(last_event_id) if last_event_id is not None else 0
        view = await get_live_status.execute(order_id, caller=caller, after_seq=after_seq)
        stream = OrderStream(
            order_id=order_id,
            caller=caller,
            first_view=view,
            get_live_status=get_live_status,
            wakeups=order_wakeups,
            slot=stream_slots.take(order_id),  # 429 beyond the bounds
            clock=get_live_status.clock,  # one clock for the view and its expiry timer
            timing=stream_timing,
            resumed=last_event_id is not None,
        )
        return ServerSentEvent(stream.messages(), headers={"Cache-Control": "no-store"})
