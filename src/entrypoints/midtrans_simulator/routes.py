"""Litestar route handlers: Midtrans's API paths, and the shared control API (as the Duitku
simulator's, so tests and developers drive both the same way). None is in any schema."""

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.gateway_simulator.control_routes import ControlSurface, build_control_handlers
from entrypoints.gateway_simulator.disconnect import disconnect_watcher
from entrypoints.gateway_simulator.options import parse_options
from entrypoints.gateway_simulator.responses import json_response
from entrypoints.midtrans_simulator.api import ApiReply, MidtransApi
from entrypoints.midtrans_simulator.control import (
    Controller,
    MidtransOutcome,
    ReleaseOutcome,
    outcome_view,
    release_view,
    transaction_view,
)
from entrypoints.midtrans_simulator.store import Transaction

CHARGE_PATH = "/v2/charge"
STATUS_PATH = "/v2/{order_id:str}/status"
CANCEL_PATH = "/v2/{order_id:str}/cancel"


def midtrans_response(reply: ApiReply) -> Response[bytes]:
    return json_response(reply.body, reply.http_status)


def _internal_error() -> ApiReply:
    return ApiReply.error(500, "Sorry, we encountered internal server error.")


def build_route_handlers(
    api: MidtransApi, controller: Controller, faults: FaultInjector
) -> list[HTTPRouteHandler]:
    """Every route of the simulator, closed over one simulator's parts."""

    async def under_faults(
        request: Request[Any, Any, Any], process: Callable[[], ApiReply]
    ) -> Response[bytes]:
        refused = api.authenticated(request.headers.get("authorization"))
        if refused is not None:
            return midtrans_response(refused)

        async def run() -> ApiReply:
            return process()

        reply = await faults.around_api_call(
            run, internal_error=_internal_error, client_gone=disconnect_watcher(request)
        )
        return midtrans_response(reply)

    @post(CHARGE_PATH, status_code=200, include_in_schema=False)
    async def charge(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        headers = {key.lower(): value for key, value in request.headers.items()}
        return await under_faults(request, lambda: api.charge(body, headers))

    @get(STATUS_PATH, include_in_schema=False)
    async def status(order_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[bytes]:
        await request.body()
        return await under_faults(request, lambda: api.status(order_id))

    @post(CANCEL_PATH, status_code=200, include_in_schema=False)
    async def cancel(order_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[bytes]:
        await request.body()
        return await under_faults(request, lambda: api.cancel(order_id))

    return [charge, status, cancel, *build_control_handlers(_control_surface(controller), faults)]


def _control_surface(
    controller: Controller,
) -> ControlSurface[Transaction, MidtransOutcome, ReleaseOutcome]:
    """The controller's actions and views as the shared control routes call them."""
    callbacks = controller.callback_controls()
    return ControlSurface(
        id_key="order_id",
        all=controller.all,
        inspect=controller.inspect,
        pay=lambda uid, amount: controller.pay(uid, amount=amount),
        fail=controller.fail,
        expire=controller.expire,
        hold=callbacks.hold,
        release=callbacks.release,
        drop=callbacks.drop,
        transaction_view=transaction_view,
        outcome_view=outcome_view,
        release_view=release_view,
        decode_fault_changes=lambda body: parse_options(body, None),
    )
