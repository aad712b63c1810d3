"""Payment notifications from each configured gateway, one route per gateway."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException

from adapters.observability.metrics import count_notification
from application.errors import (
    InvalidNotification,
    NotFound,
    NotificationRejected,
    StatusUnconfirmed,
)
from application.gateways import DUITKU
from application.use_cases.handle_payment_notification import HandlePaymentNotification
from entrypoints.http.client_address import SourceAllowlist, WindowLimiter
from entrypoints.http.errors import responses
from entrypoints.http.input_guard import has_control_characters
from entrypoints.http.schemas.payments import NotificationAck
from entrypoints.midtrans_gateway import MIDTRANS

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_NOTIFICATION_BYTES = 16 * 1024  # a callback or notification is well under 2 KiB

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
        return await _receive(
            request,
            Arrival(DUITKU, _form_fields, callback_allowlist.allows(client_address)),
            handle_payment_notification,
            client_address,
            callback_failures,
        )

    @post(
        "/midtrans",
        summary="Midtrans payment notification (JSON, signed with SHA-512)",
        description=(
            "Midtrans's HTTP notification for a QRIS transaction kasir created at Midtrans "
            "(each charge names this URL as its notification URL). Verified by its "
            "signature (SHA-512 over the transaction, its status and amount, and the server "
            "key, compared in constant time), then confirmed with Midtrans's status call: a "
            "notification is a trigger, never proof. 200 when handled, with the same "
            "`outcome` values as the Duitku route; 503 asks Midtrans to retry later. Forged "
            "notifications get one generic 403 and count towards "
            "RATE_LIMIT_REJECTED_CALLBACKS_PER_MINUTE (then 429). Only top-level text, "
            "number and boolean fields are read; nested values are ignored. 404 when Midtrans "
            "is not configured (MIDTRANS_ENV unset)."
        ),
        status_code=200,
        request_max_body_size=MAX_NOTIFICATION_BYTES,
        responses=responses(400, 403, 404, 413, 415, 429, 503),
    )
    async def midtrans(
        self,
        request: Request[Any, Any, State],
        handle_payment_notification: NamedDependency[HandlePaymentNotification],
        client_address: NamedDependency[str],
        callback_failures: NamedDependency[WindowLimiter],
    ) -> NotificationAck:
        # No source allowlist: Midtrans publishes no address list kasir relies on; the
        # signature and the status call decide.
        return await _receive(
            request,
            Arrival(MIDTRANS, _json_fields, source_allowed=True),
            handle_payment_notification,
            client_address,
            callback_failures,
        )


@dataclass(frozen=True, slots=True)
class Arrival:
    """Which gateway a route hears from, how it reads the body, and whether the sender's
    address is allowed."""

    gateway: str
    read: Callable[[Request[Any, Any, State]], Awaitable[dict[str, str]]]
    source_allowed: bool


async def _receive(
    request: Request[Any, Any, State],
    arrival: Arrival,
    handler: HandlePaymentNotification,
    address: str,
    limiter: WindowLimiter,
) -> NotificationAck:
    """One notification, whichever gateway sent it: read, rate-limit forgeries, handle."""
    gateway, source_allowed = arrival.gateway, arrival.source_allowed
    if gateway not in handler.gateways.by_name:
        # A gateway this process is not configured with has no attempts to settle here.
        raise NotFound(f"no {gateway} gateway is configured")
    if limiter.blocked(address):
        # Verify before refusing: the counter holds forgeries, and a genuine notification
        # from the same address (a shared proxy, the simulator) must never wait for them.
        # Verifying costs microseconds and writes nothing.
        fields = await _fields_or_none(request, arrival.read)
        if fields is None or not (source_allowed and handler.is_authentic(fields, gateway=gateway)):
            count_notification("rate_limited")
            raise HTTPException(
                status_code=429,
                detail="too many rejected notifications from this address",
                headers={"Retry-After": str(limiter.retry_after(address))},
            )
    else:
        fields = await arrival.read(request)
    try:
        _refuse_unreadable_text(fields)
        handled = await handler.execute(
            fields, source_address=address, source_allowed=source_allowed, gateway=gateway
        )
    except (NotificationRejected, InvalidNotification) as error:
        limiter.record(address)
        count_notification(error.code)
        logger.warning(
            "notification rejected",
            extra={
                "order_uid": handler.attempt_named_in(fields, gateway=gateway),
                "reason": error.message,
                "source": address,
                "gateway": gateway,
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


async def _fields_or_none(
    request: Request[Any, Any, State],
    read: Callable[[Request[Any, Any, State]], Awaitable[dict[str, str]]],
) -> dict[str, str] | None:
    """The fields, or None when they cannot be read (wrong media type, repeated fields)."""
    try:
        return await read(request)
    except (HTTPException, InvalidNotification):
        return None


async def _json_fields(request: Request[Any, Any, State]) -> dict[str, str]:
    """A JSON object's top-level scalar fields as text (numbers and booleans as JSON writes
    them); nested values and nulls are left out (a QRIS notification has none)."""
    media_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type != JSON:
        raise HTTPException(status_code=415, detail=f"the notification must be {JSON}")
    try:
        body = msgspec.json.decode(await request.body())
    except (msgspec.DecodeError, ValueError, RecursionError):
        raise InvalidNotification("the notification is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidNotification("the notification must be a JSON object")
    fields: dict[str, str] = {}
    for key, value in body.items():
        if isinstance(value, str):
            fields[key] = value
        elif isinstance(value, bool | int | float):
            fields[key] = msgspec.json.encode(value).decode()
    return fields


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
