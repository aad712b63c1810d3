"""Notification inbox schemas."""

from datetime import datetime
from typing import Annotated

import msgspec

from application.inbox import InboxEntry
from entrypoints.http.schemas.constraints import Note


class NotificationResponse(msgspec.Struct, kw_only=True):
    id: int
    received_at: datetime
    gateway: Annotated[
        str,
        msgspec.Meta(description="the gateway that sent it, e.g. duitku; re-processing goes to it"),
    ]
    source_address: str | None
    attempt_id: str | None = msgspec.field(name="order_uid")
    verification: str
    signature_scheme: str | None
    outcome: str | None
    detail: str | None
    processed_at: datetime | None
    needs_review: bool
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_note: str | None
    personal_data_removed: bool
    fields: dict[str, str]

    @classmethod
    def of(cls, entry: InboxEntry) -> "NotificationResponse":
        return cls(
            id=entry.key,
            received_at=entry.received_at,
            gateway=entry.gateway,
            source_address=entry.source_address,
            attempt_id=entry.attempt_id,
            verification=entry.verification.value,
            signature_scheme=entry.signature_scheme,
            outcome=entry.outcome,
            detail=entry.detail,
            processed_at=entry.processed_at,
            needs_review=entry.needs_review,
            reviewed_at=entry.reviewed_at,
            reviewed_by=entry.reviewed_by,
            review_note=entry.review_note,
            personal_data_removed=entry.personal_data_removed_at is not None,
            fields=entry.fields,
        )


class NotificationListResponse(msgspec.Struct, kw_only=True):
    items: list[NotificationResponse]
    next_before_id: int | None = None


class ReprocessResponse(msgspec.Struct, kw_only=True):
    outcome: str
    notification: NotificationResponse | None = None


class ReviewRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Note
