"""Baseline routes for `make bench`: the cheapest answers the same server can give.

Mounted only with KASIR_BENCHMARK_ROUTES=true, which settings refuse unless DUITKU_ENV=fake,
and never listed in the OpenAPI schema. Each route does what the kasir endpoint it is
compared with must do before any of kasir's own work (same app, middleware, server, body
decoding and size limits), then answers a small body. See docs/benchmarks.md.
"""

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from entrypoints.http.controllers.gateway_notifications import (
    MAX_NOTIFICATION_BYTES,
    _form_fields,
    _refuse_unreadable_text,
)
from entrypoints.http.schemas.constraints import PathId
from entrypoints.http.schemas.payments import CreateQrisPaymentRequest, NotificationAck


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
