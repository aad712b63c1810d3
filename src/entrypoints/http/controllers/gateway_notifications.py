"""Duitku's payment notifications."""

import logging
from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException

from adapters.observability.metrics import count_notification
from application.errors import (
    InvalidNotification,
    NotificationRejected,
    StatusUnconfirmed,
)
from application.gateways import DUITKU
from application.use_cases.handle_payment_notification import HandlePaymentNotification
from entrypoints.http.client_address import SourceAllowlist
from entrypoints.http.errors import responses
from entrypoints.http.schemas.payments import NotificationAck
from entrypoints.http.text_rules import has_control_characters
from entrypoints.http.window_limiter import WindowLimiter

GATEWAY = DUITKU  # the gateway this route hears from: its attempts are the only ones it settles
FORM = "application/x-www-form-urlencoded"
MAX_NOTIFICATION_BYTES = 16 * 1024  # a Duitku callback is well under 2 KiB

logger = logging.getLogger("kasir.notifications")


class GatewayNotificationController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]  # noqa: RUF012

    @post(
        "/duitku",
        summary="Duitku payment notification (form-encoded, signed)",
        description=(
            "200 when handled (including duplicates and unknown orders). `outcome` says how: "
            "`order_paid`, `refund_required`, `already_settled`, `amount_mismatch`, "
            "`amount_unknown` (Duitku reports it paid without an amount: nothing changes, "
            "staff look), `unknown_payment`, `contradicted`, `still_pending`, `failed`, "
            "`expired`, `nothing_to_do`, or "
            "`scheduled`: a success kasir cannot confirm with Duitku yet (its status was "
            "checked moments ago, could not be checked, or is still pending), for which kasir "
            "has committed its own status check at the moment the check budget allows, so "
            "Duitku need not send it again. 503 asks Duitku to retry later, only when no such "
            "check could be scheduled (the attempt awaits a staff review, or is closed). "
            "Forged or disallowed notifications get one generic 403; after "
            "RATE_LIMIT_REJECTED_CALLBACKS_PER_MINUTE of them from one address, further ones "
            "that fail verification get 429 without being stored, while a correctly signed "
            "notification from that address is still handled."
        ),
        status_code=200,
        request_max_body_size=MAX_NOTIFICATION_BYTES,
        responses=responses(400, 403, 413, 415, 429, 503),
    )
    async def duitku(
        self,
        request: Request[Any, Any, State],
        handle_payment_notification: NamedDependency[HandlePaymentNotification],
        client_address: NamedDependency[str],
        callback_allowlist: NamedDependency[SourceAllowlist],
        callback_failures: NamedDependency[WindowLimiter],
    ) -> NotificationAck:
        address, limiter, allowlist = client_address, callback_failures, callback_allowlist
        source_allowed = allowlist.allows(address)
        if limiter.blocked(address):
            # Verify before refusing: the counter holds forgeries, and a genuine notification
            # from the same address (a shared proxy, the simulator) must never wait for them.
            # Verifying costs microseconds and writes nothing.
            fields = await _form_fields_or_none(request)
            if fields is None or not (
                source_allowed and handle_payment_notification.is_authentic(fields, gateway=GATEWAY)
            ):
                count_notification("rate_limited")
                raise HTTPException(
                    status_code=429,
                    detail="too many rejected notifications from this address",
                    headers={"Retry-After": str(limiter.retry_after(address))},
                )
        else:
            fields = await _form_fields(request)
        try:
            _refuse_unreadable_text(fields)
            handled = await handle_payment_notification.execute(
                fields, source_address=address, source_allowed=source_allowed, gateway=GATEWAY
            )
        except (NotificationRejected, InvalidNotification) as error:
            limiter.record(address)
            count_notification(error.code)
            logger.warning(
                "notification rejected",
                extra={
                    "order_uid": handle_payment_notification.attempt_named_in(
                        fields, gateway=GATEWAY
                    ),
                    "reason": error.message,
                    "source": address,
                },
            )
            raise
        except StatusUnconfirmed:
            count_notification("deferred")
            raise
        count_notification(handled.outcome.value)
        return NotificationAck(status="ok", outcome=handled.outcome.value)


def _refuse_unreadable_text(fields: dict[str, str]) -> None:
    """A control character (NUL breaks PostgreSQL) or invalid UTF-8 (decoded to U+FFFD) is
    never in a genuine callback: refuse it, counted as a failure, before it reaches the
    database."""
    for key, value in fields.items():
        if has_control_characters(key + value) or "\ufffd" in key + value:
            raise InvalidNotification("fields must be UTF-8 text without control characters")


async def _form_fields_or_none(request: Request[Any, Any, State]) -> dict[str, str] | None:
    """The fields, or None when they cannot be read (wrong media type, repeated fields)."""
    try:
        return await _form_fields(request)
    except (HTTPException, InvalidNotification):
        return None


async def _form_fields(request: Request[Any, Any, State]) -> dict[str, str]:
    media_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise HTTPException(status_code=415, detail=f"the notification must be {FORM}")
    form = await request.form()
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str) or key in fields:
            raise InvalidNotification("fields must be plain text and appear once")
        fields[key] = value
    return fields
