"""Litestar route handlers: Midtrans's API paths, and the control API (as the Duitku
simulator's, so tests and developers drive both the same way). None is in any schema."""

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.duitku_simulator.routes import json_response
from entrypoints.midtrans_simulator.api import ApiReply, MidtransApi
from entrypoints.midtrans_simulator.control import (
    Controller,
    InvalidControlRequest,
    MidtransOutcome,
    NotPendingError,
    TransactionNotFoundError,
    outcome_view,
    release_view,
    transaction_view,
)

CHARGE_PATH = "/v2/charge"
STATUS_PATH = "/v2/{order_id:str}/status"
CANCEL_PATH = "/v2/{order_id:str}/cancel"
CONTROL_TRANSACTIONS_PATH = "/control/transactions"
CONTROL_FAULTS_PATH = "/control/faults"


def midtrans_response(reply: ApiReply) -> Response[bytes]:
    return json_response(reply.body, reply.http_status)


def _internal_error() -> ApiReply:
    return ApiReply.error(500, "Sorry, we encountered internal server error.")


def _disconnect_watcher(request: Request[Any, Any, Any]) -> Callable[[], Awaitable[None]]:
    async def client_gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    return client_gone


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
            run, internal_error=_internal_error, client_gone=_disconnect_watcher(request)
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

    @get(CONTROL_TRANSACTIONS_PATH, include_in_schema=False)
    async def list_transactions() -> Response[bytes]:
        return json_response([transaction_view(t) for t in controller.all()], 200)

    @get(f"{CONTROL_TRANSACTIONS_PATH}/{{order_id:str}}", include_in_schema=False)
    async def inspect_transaction(order_id: FromPath[str]) -> Response[bytes]:
        try:
            return json_response(transaction_view(controller.inspect(order_id)), 200)
        except TransactionNotFoundError:
            return _not_found(order_id)

    @post(f"{CONTROL_TRANSACTIONS_PATH}/{{order_id:str}}/pay", include_in_schema=False)
    async def pay(order_id: FromPath[str], request: Request[Any, Any, Any]) -> Response[bytes]:
        try:
            options = _options(await request.body(), {"amount"})
        except InvalidControlRequest as error:
            return json_response({"error": str(error)}, 400)

        async def pay_amount(uid: str) -> MidtransOutcome:
            return await controller.pay(uid, amount=options.get("amount"))

        return await _control(order_id, pay_amount)

    @post(f"{CONTROL_TRANSACTIONS_PATH}/{{order_id:str}}/fail", include_in_schema=False)
    async def fail(order_id: FromPath[str]) -> Response[bytes]:
        return await _control(order_id, controller.fail)

    @post(f"{CONTROL_TRANSACTIONS_PATH}/{{order_id:str}}/expire", include_in_schema=False)
    async def expire(order_id: FromPath[str]) -> Response[bytes]:
        return await _control(order_id, controller.expire)

    @get(CONTROL_FAULTS_PATH, include_in_schema=False)
    async def show_faults() -> Response[bytes]:
        return json_response(faults.settings, 200)

    @post(CONTROL_FAULTS_PATH, status_code=200, include_in_schema=False)
    async def set_faults(request: Request[Any, Any, Any]) -> Response[bytes]:
        try:
            changes = _options(await request.body(), None)
            faults.update(changes)
        except (InvalidControlRequest, ValueError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response(faults.settings, 200)

    @delete(CONTROL_FAULTS_PATH, status_code=200, include_in_schema=False)
    async def reset_faults() -> Response[bytes]:
        faults.reset()
        return json_response(faults.settings, 200)

    return [
        charge,
        status,
        cancel,
        list_transactions,
        inspect_transaction,
        pay,
        fail,
        expire,
        show_faults,
        set_faults,
        reset_faults,
        *_callback_control_handlers(controller),
    ]


def _callback_control_handlers(controller: Controller) -> list[HTTPRouteHandler]:
    """Hold a transaction's notifications, then release (duplicated, reordered) or drop them."""
    path = f"{CONTROL_TRANSACTIONS_PATH}/{{order_id:str}}/callbacks"

    @post(f"{path}/hold", include_in_schema=False)
    async def hold_callbacks(order_id: FromPath[str]) -> Response[bytes]:
        try:
            return json_response(transaction_view(controller.hold_callbacks(order_id)), 200)
        except TransactionNotFoundError:
            return _not_found(order_id)

    @post(f"{path}/release", include_in_schema=False)
    async def release_callbacks(
        order_id: FromPath[str], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        try:
            options = _options(await request.body(), {"order", "keep_holding"})
            order = options.get("order")
            if order is not None and not isinstance(order, list):
                raise InvalidControlRequest("order must be a list of indices")
            outcome = await controller.release_callbacks(
                order_id, order=order, keep_holding=_flag(options, "keep_holding")
            )
        except TransactionNotFoundError:
            return _not_found(order_id)
        except InvalidControlRequest as error:
            return json_response({"error": str(error)}, 400)
        return json_response(release_view(outcome), 200)

    @post(f"{path}/drop", include_in_schema=False)
    async def drop_callbacks(
        order_id: FromPath[str], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        try:
            options = _options(await request.body(), {"keep_holding"})
            transaction = controller.drop_callbacks(
                order_id, keep_holding=_flag(options, "keep_holding")
            )
        except TransactionNotFoundError:
            return _not_found(order_id)
        except InvalidControlRequest as error:
            return json_response({"error": str(error)}, 400)
        return json_response(transaction_view(transaction), 200)

    return [hold_callbacks, release_callbacks, drop_callbacks]


def _options(body: bytes, allowed: set[str] | None) -> dict[str, Any]:
    """A control request's optional JSON object; `allowed` None accepts any key."""
    if not body.strip():
        return {}
    try:
        options = msgspec.json.decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError) as error:
        raise InvalidControlRequest(f"the body is not JSON: {error}") from None
    if not isinstance(options, dict):
        raise InvalidControlRequest("expected a JSON object")
    unknown = sorted(set(options) - allowed) if allowed is not None else []
    if unknown:
        raise InvalidControlRequest(f"unknown option(s): {', '.join(unknown)}")
    return options


def _flag(options: dict[str, Any], name: str) -> bool:
    value = options.get(name, False)
    if type(value) is not bool:
        raise InvalidControlRequest(f"{name} must be a boolean")
    return value


def _not_found(order_id: str) -> Response[bytes]:
    return json_response({"error": "Transaction not found", "order_id": order_id}, 404)


async def _control(
    order_id: str, action: Callable[[str], Awaitable[MidtransOutcome]]
) -> Response[bytes]:
    try:
        outcome = await action(order_id)
    except TransactionNotFoundError:
        return _not_found(order_id)
    except InvalidControlRequest as error:
        return json_response({"error": str(error)}, 400)
    except NotPendingError as error:
        return json_response(
            {"error": str(error), "order_id": order_id, "state": error.transaction.status}, 409
        )
    return json_response(outcome_view(outcome), 200)
