"""Litestar route handlers: Duitku's API paths, the payment page and the shared control API.

Handlers are thin: they read the raw body, call the framework-free parts and turn the
result into a response. All of them stay out of any OpenAPI schema.
"""

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery

from entrypoints.duitku_simulator.control import (
    Controller,
    ControlOutcome,
    ReleaseOutcome,
    TransactionNotFoundError,
    outcome_view,
    release_view,
    transaction_view,
)
from entrypoints.duitku_simulator.duitku_api import ApiReply, DuitkuApi
from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.duitku_simulator.payment_page import render_payment_page
from entrypoints.duitku_simulator.store import Transaction
from entrypoints.gateway_simulator.control_routes import ControlSurface, build_control_handlers
from entrypoints.gateway_simulator.disconnect import disconnect_watcher
from entrypoints.gateway_simulator.responses import json_response

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
PAYMENT_PAGE_PATH = "/topup/topupdirectv2.aspx"

# Duitku is ASP.NET: its JSON carries an explicit charset.
_DUITKU_JSON = "application/json; charset=utf-8"


def duitku_response(reply: ApiReply) -> Response[bytes]:
    """A Duitku API reply as an HTTP response."""
    return json_response(reply.body, reply.status_code, _DUITKU_JSON)


def _internal_error() -> ApiReply:
    return ApiReply.error(500, "Internal Server Error")


def build_route_handlers(
    api: DuitkuApi,
    controller: Controller,
    faults: FaultInjector,
) -> list[HTTPRouteHandler]:
    """Every route of the simulator, closed over one simulator's parts."""

    @post(INQUIRY_PATH, status_code=200, include_in_schema=False)
    async def inquiry(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()

        async def process() -> ApiReply:
            return api.inquiry(body)

        reply = await faults.around_api_call(
            process, internal_error=_internal_error, client_gone=disconnect_watcher(request)
        )
        return duitku_response(reply)

    @post(STATUS_PATH, status_code=200, include_in_schema=False)
    async def transaction_status(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        content_type = request.headers.get("content-type", "")

        async def process() -> ApiReply:
            return api.transaction_status(body, content_type)

        reply = await faults.around_api_call(
            process, internal_error=_internal_error, client_gone=disconnect_watcher(request)
        )
        return duitku_response(reply)

    @get(PAYMENT_PAGE_PATH, include_in_schema=False)
    async def payment_page(ref: FromQuery[str] = "") -> Response[str]:
        try:
            transaction = controller.find_by_reference(ref)
        except TransactionNotFoundError:
            return Response("Transaction not found", status_code=404, media_type="text/plain")
        return Response(render_payment_page(transaction), media_type="text/html")

    control = build_control_handlers(_control_surface(controller), faults)
    return [inquiry, transaction_status, payment_page, *control]


def _control_surface(
    controller: Controller,
) -> ControlSurface[Transaction, ControlOutcome, ReleaseOutcome]:
    """The controller's actions and views as the shared control routes call them."""

    async def expire_now(merchant_order_id: str) -> ControlOutcome:
        return controller.expire(merchant_order_id)  # no callback to await (§7.3)

    callbacks = controller.callback_controls()
    return ControlSurface(
        id_key="merchant_order_id",
        all=controller.all,
        inspect=controller.inspect,
        pay=lambda uid, amount: controller.pay(uid, amount=amount),
        fail=controller.fail,
        expire=expire_now,
        hold=callbacks.hold,
        release=callbacks.release,
        drop=callbacks.drop,
        transaction_view=transaction_view,
        outcome_view=outcome_view,
        release_view=release_view,
        decode_fault_changes=_decode_fault_changes,
    )


def _decode_fault_changes(body: bytes) -> dict[str, Any]:
    """The fault changes in ``body`` (none when empty); msgspec's own words for bad JSON."""
    changes = msgspec.json.decode(body) if body.strip() else {}
    if not isinstance(changes, dict):
        raise ValueError("expected a JSON object")
    return changes
