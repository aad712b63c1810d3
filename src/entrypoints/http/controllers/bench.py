"""Baseline routes for `make bench`: the cheapest answers the same server can give.

Mounted only with KASIR_BENCHMARK_ROUTES=true, which settings refuse unless DUITKU_ENV=fake,
and never listed in the OpenAPI schema. Each bare route does what the kasir endpoint it is
compared with must do before any of kasir's own work (same app, middleware, server, body
decoding and size limits), then answers a small body.

`POST /bench/callback` is the other yardstick: the simplest integration of Duitku a developer
would write. It verifies the callback's signature with kasir's production verifier, then runs
one autocommit `UPDATE` of the order the callback names by its id (such an integration sends
its order's id where kasir sends the attempt's), through kasir's own engine: no inbox, no
status check, no idempotency, no second transaction. kasir's callback is reported as a ratio
of it. See docs/benchmarks.md.
"""

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.errors import InvalidNotification
from application.gateways import DUITKU, Gateways
from domain.orders import OrderStatus
from entrypoints.http.controllers.gateway_notifications import (
    MAX_NOTIFICATION_BYTES,
    _form_fields,
    _refuse_unreadable_text,
)
from entrypoints.http.schemas.constraints import PathId
from entrypoints.http.schemas.payments import CreateQrisPaymentRequest, NotificationAck

# The one statement of the naive handler: pay the order if it still awaits payment.
NAIVE_PAY = text("UPDATE orders SET status = :paid WHERE id = :id AND status = :awaiting")
MAX_ORDER_ID = 2**63 - 1


class BaselineAnswer(msgspec.Struct, kw_only=True):
    status: str
    id: int


class BenchmarkBaselines(Controller):
    path = "/bench"
    include_in_schema = False

    @post("/form", status_code=200, request_max_body_size=MAX_NOTIFICATION_BYTES)
    async def form(self, request: Request[Any, Any, State]) -> NotificationAck:
        """Decodes a Duitku callback's form body exactly as the webhook does."""
        fields = await _form_fields(request)
        _refuse_unreadable_text(fields)
        # How many fields were read, not any of them: their names are the gateway adapter's.
        return NotificationAck(status="ok", outcome=f"{len(fields)} fields")

    @post("/json", status_code=200)
    async def json(self, data: JSONBody[CreateQrisPaymentRequest]) -> BaselineAnswer:
        """Decodes and validates the body of `POST /api/v1/payments/qris`."""
        return BaselineAnswer(status="ok", id=data.order_id)

    @get("/orders/{order_id:int}")
    async def read(self, order_id: PathId) -> BaselineAnswer:
        """Parses the path of `GET /api/v1/orders/{id}`."""
        return BaselineAnswer(status="ok", id=order_id)

    @post("/callback", status_code=200, request_max_body_size=MAX_NOTIFICATION_BYTES)
    async def naive_callback(
        self,
        request: Request[Any, Any, State],
        payment_gateways: NamedDependency[Gateways],
        database_engine: NamedDependency[AsyncEngine],
    ) -> NotificationAck:
        """The naive callback handler: verify the signature, then one autocommit UPDATE.

        A forged or malformed callback is refused as by the webhook (403, 400) and changes
        nothing; a genuine one for an order not awaiting payment changes nothing either."""
        fields = await _form_fields(request)
        _refuse_unreadable_text(fields)
        notification = payment_gateways.named(DUITKU).verify_notification(fields)
        order_id = notification.attempt_id
        if not (order_id.isascii() and order_id.isdigit()) or not 0 < int(order_id) <= MAX_ORDER_ID:
            raise InvalidNotification("the naive handler takes the order's id as the attempt id")
        async with database_engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await autocommit.execute(
                NAIVE_PAY,
                {
                    "id": int(order_id),
                    "paid": OrderStatus.PAID.value,
                    "awaiting": OrderStatus.AWAITING_PAYMENT.value,
                },
            )
        return NotificationAck(
            status="ok", outcome="order_paid" if result.rowcount else "nothing_to_do"
        )
