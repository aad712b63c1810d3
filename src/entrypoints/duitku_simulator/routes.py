"""Litestar route handlers: Duitku's API paths, the payment page and the control API.

Handlers are thin: they read the raw body, call the framework-free parts and turn the
result into a response. All of them stay out of any OpenAPI schema.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery

from entrypoints.duitku_simulator.control import (
    Controller,
    ControlOutcome,
    InvalidControlRequest,
    NotPendingError,
    TransactionNotFoundError,
    outcome_view,
    release_view,
    transaction_view,
)
from entrypoints.duitku_simulator.duitku_api import ApiReply, DuitkuApi
from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.duitku_simulator.payment_page import render_payment_page

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
STATUS_PATH = "/webapi/api/merchant/transactionStatus"
PAYMENT_PAGE_PATH = "/topup/topupdirectv2.aspx"
CONTROL_TRANSACTIONS_PATH = "/control/transactions"
CONTROL_FAULTS_PATH = "/control/faults"

# Duitku is ASP.NET: its JSON carries an explicit charset.
_DUITKU_JSON = "application/json; charset=utf-8"
_CONTROL_JSON = "application/json"


def json_response(body: Any, status_code: int, media_type: str = _CONTROL_JSON) -> Response[bytes]:
    """Encode ``body`` with msgspec and send it with exactly the given status."""
    return Response(msgspec.json.encode(body), status_code=status_code, media_type=media_type)


def duitku_response(reply: ApiReply) -> Response[bytes]:
    """A Duitku API reply as an HTTP response."""
    return json_response(reply.body, reply.status_code, _DUITKU_JSON)


def _internal_error() -> ApiReply:
    return ApiReply.error(500, "Internal Server Error")


def _disconnect_watcher(request: Request[Any, Any, Any]) -> Callable[[], Awaitable[None]]:
    """Wait for the client to hang up; only valid once the body has been read."""

    async def client_gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    return client_gone


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
            process, internal_error=_internal_error, client_gone=_disconnect_watcher(request)
        )
        return duitku_response(reply)

    @post(STATUS_PATH, status_code=200, include_in_schema=False)
    async def transaction_status(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        content_type = request.headers.get("content-type", "")

        async def process() -> ApiReply:
            return api.transaction_status(body, content_type)

        reply = await faults.around_api_call(
            process, internal_error=_internal_error, client_gone=_disconnect_watcher(request)
        )
        return duitku_response(reply)

    @get(PAYMENT_PAGE_PATH, include_in_schema=False)
    async def payment_page(ref: FromQuery[str] = "") -> Response[str]:
        try:
            transaction = controller.find_by_reference(ref)
        except TransactionNotFoundError:
            return Response("Transaction not found", status_code=404, media_type="text/plain")
        return Response(render_payment_page(transaction), media_type="text/html")

    @get(CONTROL_TRANSACTIONS_PATH, include_in_schema=False)
    async def list_transactions() -> Response[bytes]:
        return json_response([transaction_view(t) for t in controller.all()], 200)

    @get(f"{CONTROL_TRANSACTIONS_PATH}/{{merchant_order_id:str}}", include_in_schema=False)
    async def inspect_transaction(merchant_order_id: FromPath[str]) -> Response[bytes]:
        try:
            transaction = controller.inspect(merchant_order_id)
        except TransactionNotFoundError:
            return _not_found(merchant_order_id)
        return json_response(transaction_view(transaction), 200)

    @post(f"{CONTROL_TRANSACTIONS_PATH}/{{merchant_order_id:str}}/pay", include_in_schema=False)
    async def pay(
        merchant_order_id: FromPath[str], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        try:
            options = _options(await request.body(), {"amount"})
        except InvalidControlRequest as error:
            return json_response({"error": str(error)}, 400)

        async def pay_amount(order_id: str) -> ControlOutcome:
            return await controller.pay(order_id, amount=options.get("amount"))

        return await _control(merchant_order_id, pay_amount)

    @post(f"{CONTROL_TRANSACTIONS_PATH}/{{merchant_order_id:str}}/fail", include_in_schema=False)
    async def fail(merchant_order_id: FromPath[str]) -> Response[bytes]:
        return await _control(merchant_order_id, controller.fail)

    @post(f"{CONTROL_TRANSACTIONS_PATH}/{{merchant_order_id:str}}/expire", include_in_schema=False)
    async def expire(merchant_order_id: FromPath[str]) -> Response[bytes]:
        async def expire_now(order_id: str) -> ControlOutcome:
            return controller.expire(order_id)

        return await _control(merchant_order_id, expire_now)

    @get(CONTROL_FAULTS_PATH, include_in_schema=False)
    async def show_faults() -> Response[bytes]:
        return json_response(faults.settings, 200)

    @post(CONTROL_FAULTS_PATH, status_code=200, include_in_schema=False)
    async def set_faults(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        try:
            changes = msgspec.json.decode(body) if body.strip() else {}
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            faults.update(changes)
        except (msgspec.DecodeError, ValueError, RecursionError) as error:  # UnicodeDecodeError
            return json_response({"error": str(error)}, 400)  # is a ValueError
        return json_response(faults.settings, 200)

    @delete(CONTROL_FAULTS_PATH, status_code=200, include_in_schema=False)
    async def reset_faults() -> Response[bytes]:
        faults.reset()
        return json_response(faults.settings, 200)

    return [
        inquiry,
        transaction_status,
        payment_page,
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
    """Hold a transaction's callbacks, then release (duplicated, reordered) or drop them."""
    callbacks_path = f"{CONTROL_TRANSACTIONS_PATH}/{{merchant_order_id:str}}/callbacks"

    @post(f"{callbacks_path}/hold", include_in_schema=False)
    async def hold_callbacks(merchant_order_id: FromPath[str]) -> Response[bytes]:
        try:
            transaction = controller.hold_callbacks(merchant_order_id)
        except TransactionNotFoundError:
            return _not_found(merchant_order_id)
        return json_response(transaction_view(transaction), 200)

    @post(f"{callbacks_path}/release", include_in_schema=False)
    async def release_callbacks(
        merchant_order_id: FromPath[str], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        try:
            options = _options(await request.body(), {"order", "keep_holding"})
            order = options.get("order")
            if order is not None and not isinstance(order, list):
                raise InvalidControlRequest("order must be a list of indices")
            outcome = await controller.release_callbacks(
                merchant_order_id,
                order=order,
                keep_holding=_flag(options, "keep_holding"),
            )
        except TransactionNotFoundError:
            return _not_found(merchant_order_id)
        except InvalidControlRequest as error:
            return json_response({"error": str(error)}, 400)
        return json_response(release_view(outcome), 200)

    @post(f"{callbacks_path}/drop", include_in_schema=False)
    async def drop_callbacks(
        merchant_order_id: FromPath[str], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        try:
            options = _options(await request.body(), {"keep_holding"})
            transaction = controller.drop_callbacks(
                merchant_order_id, keep_holding=_flag(options, "keep_holding")
            )
        except TransactionNotFoundError:
            return _not_found(merchant_order_id)
        except InvalidControlRequest as error:
            return json_response({"error": str(error)}, 400)
        return json_response(transaction_view(transaction), 200)

    return [hold_callbacks, release_callbacks, drop_callbacks]


def _options(body: bytes, allowed: set[str]) -> dict[str, Any]:
    """A control request's optional JSON object body; an empty body means no options."""
    if not body.strip():
        return {}
    try:
        options = msgspec.json.decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError) as error:  # bad UTF-8, deep nesting
        raise InvalidControlRequest(f"the body is not JSON: {error}") from None
    if not isinstance(options, dict):
        raise InvalidControlRequest("expected a JSON object")
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InvalidControlRequest(f"unknown option(s): {', '.join(unknown)}")
    return options


def _flag(options: dict[str, Any], name: str) -> bool:
    value = options.get(name, False)
    if type(value) is not bool:
        raise InvalidControlRequest(f"{name} must be a boolean")
    return value


def _not_found(merchant_order_id: str) -> Response[bytes]:
    return json_response(
        {"error": "Transaction not found", "merchant_order_id": merchant_order_id}, 404
    )


async def _control(
    merchant_order_id: str, action: Callable[[str], Awaitable[ControlOutcome]]
) -> Response[bytes]:
    try:
        outcome = await action(merchant_order_id)
    except TransactionNotFoundError:
        return _not_found(merchant_order_id)
    except InvalidControlRequest as error:
        return json_response({"error": str(error)}, 400)
    except NotPendingError as error:
        return json_response(
            {
                "error": str(error),
                "merchant_order_id": merchant_order_id,
                "state": error.transaction.state.value,
            },
            409,
        )
    return json_response(outcome_view(outcome), 200)
