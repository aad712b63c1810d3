"""The notification inbox for staff: list, re-process, review."""

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from application.callers import Staff
from application.inbox import InboxFilter, Verification
from application.use_cases.notification_inbox import (
    ListNotifications,
    ReprocessNotification,
    ReviewNotification,
)
from entrypoints.http.auth import STAFF_ONLY
from entrypoints.http.errors import responses
from entrypoints.http.schemas.constraints import MAX_ID, PathId
from entrypoints.http.schemas.inbox import (
    NotificationListResponse,
    NotificationResponse,
    ReprocessResponse,
    ReviewRequest,
)


class InboxController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]  # noqa: RUF012
    security = STAFF_ONLY

    @get(
        "/",
        summary="Received gateway notifications, newest first (staff)",
        responses=responses(400, 401),
    )
    async def list_entries(
        self,
        list_notifications: NamedDependency[ListNotifications],
        staff: NamedDependency[Staff],
        order_uid: Annotated[str | None, QueryParameter(max_length=64)] = None,
        outcome: Annotated[str | None, QueryParameter(max_length=40)] = None,
        verification: FromQuery[Verification | None] = None,
        needs_review: FromQuery[bool | None] = None,
        received_from: FromQuery[datetime | None] = None,
        received_until: FromQuery[datetime | None] = None,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> NotificationListResponse:
        entries = await list_notifications.execute(
            InboxFilter(
                attempt_id=order_uid,
                outcome=outcome,
                verification=verification,
                needs_review=needs_review,
                received_from=received_from,
                received_until=received_until,
                before_id=before_id,
                limit=limit,
            ),
            caller=staff,
        )
        return NotificationListResponse(
            items=[NotificationResponse.of(entry) for entry in entries],
            next_before_id=entries[-1].key if len(entries) == limit else None,
        )

    @post(
        "/{entry_id:int}/reprocess",
        summary="Process a stored notification again (staff)",
        status_code=200,
        responses=responses(400, 401, 403, 404, 409, 503),
    )
    async def reprocess(
        self,
        entry_id: PathId,
        reprocess_notification: NamedDependency[ReprocessNotification],
        staff: NamedDependency[Staff],
    ) -> ReprocessResponse:
        handled = await reprocess_notification.execute(entry_id, caller=staff)
        return ReprocessResponse(outcome=handled.outcome.value)

    @post(
        "/{entry_id:int}/review",
        summary="Record that a flagged notification was settled (staff)",
        status_code=200,
        responses=responses(400, 401, 404, 409, 413, 415),
    )
    async def review(
        self,
        entry_id: PathId,
        data: JSONBody[ReviewRequest],
        review_notification: NamedDependency[ReviewNotification],
        staff: NamedDependency[Staff],
    ) -> NotificationResponse:
        entry = await review_notification.execute(entry_id, caller=staff, note=data.note)
        return NotificationResponse.of(entry)
