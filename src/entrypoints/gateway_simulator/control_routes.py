"""The control API's routes, the same on every simulator: list and inspect transactions;
pay, fail or expire one; hold its callbacks, then release (late, duplicated, reordered) or
drop them; show, set and reset faults. Tests and developers drive every gateway alike.

A simulator hands over its controller's actions and its JSON views as `ControlSurface`;
only the id's name in error bodies (`id_key`) and the views are the gateway's own.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from litestar import Request, Response, delete, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from entrypoints.gateway_simulator.errors import (
    InvalidControlRequest,
    NotPendingError,
    TransactionNotFoundError,
)
from entrypoints.gateway_simulator.options import flag, parse_options
from entrypoints.gateway_simulator.responses import json_response

CONTROL_TRANSACTIONS_PATH = "/control/transactions"
CONTROL_FAULTS_PATH = "/control/faults"
_ONE = f"{CONTROL_TRANSACTIONS_PATH}/{{uid:str}}"

TransactionT = TypeVar("TransactionT")
OutcomeT = TypeVar("OutcomeT")
ReleaseT = TypeVar("ReleaseT")


class FaultInjector(Protocol):
    """The faults a simulator applies around its API calls, as the control API changes them."""

    @property
    def settings(self) -> Any: ...

    def update(self, changes: dict[str, Any]) -> object: ...

    def reset(self) -> object: ...


@dataclass(frozen=True, slots=True)
class ControlSurface(Generic[TransactionT, OutcomeT, ReleaseT]):
    """One simulator's control actions and JSON views, keyed by its own transaction id."""

    id_key: str  # the id's name in 404 and 409 bodies
    all: Callable[[], list[TransactionT]]
    inspect: Callable[[str], TransactionT]
    pay: Callable[[str, int | None], Awaitable[OutcomeT]]
    fail: Callable[[str], Awaitable[OutcomeT]]
    expire: Callable[[str], Awaitable[OutcomeT]]
    hold: Callable[[str], TransactionT]
    release: Callable[[str, list[int] | None, bool], Awaitable[ReleaseT]]
    drop: Callable[[str, bool], TransactionT]
    transaction_view: Callable[[TransactionT], dict[str, Any]]
    outcome_view: Callable[[OutcomeT], dict[str, Any]]
    release_view: Callable[[ReleaseT], dict[str, Any]]
    # How the simulator reads a fault change body (its wording of a bad body is its own).
    decode_fault_changes: Callable[[bytes], dict[str, Any]]


def build_control_handlers(
    surface: ControlSurface[TransactionT, OutcomeT, ReleaseT], faults: FaultInjector
) -> list[HTTPRouteHandler]:
    """Every control route, closed over one simulator's surface and fault injector."""

    def not_found(uid: str) -> Response[bytes]:
        return json_response({"error": "Transaction not found", surface.id_key: uid}, 404)

    async def control(uid: str, action: Callable[[str], Awaitable[OutcomeT]]) -> Response[bytes]:
        try:
            outcome = await action(uid)
        except TransactionNotFoundError:
            return not_found(uid)
        except InvalidControlRequest as error:
            return _bad_request(error)
        except NotPendingError as error:
            return json_response(
                {"error": str(error), surface.id_key: uid, "state": error.state}, 409
            )
        return json_response(surface.outcome_view(outcome), 200)

    @get(CONTROL_TRANSACTIONS_PATH, include_in_schema=False)
    async def list_transactions() -> Response[bytes]:
        return json_response([surface.transaction_view(t) for t in surface.all()], 200)

    @get(_ONE, include_in_schema=False)
    async def inspect_transaction(uid: FromPath[str]) -> Response[bytes]:
        try:
            return json_response(surface.transaction_view(surface.inspect(uid)), 200)
        except TransactionNotFoundError:
            return not_found(uid)

    @post(f"{_ONE}/pay", include_in_schema=False)
    async def pay(uid: FromPath[str], request: Request[Any, Any, Any]) -> Response[bytes]:
        try:
            options = parse_options(await request.body(), {"amount"})
        except InvalidControlRequest as error:
            return _bad_request(error)
        return await control(uid, lambda key: surface.pay(key, options.get("amount")))

    @post(f"{_ONE}/fail", include_in_schema=False)
    async def fail(uid: FromPath[str]) -> Response[bytes]:
        return await control(uid, surface.fail)

    @post(f"{_ONE}/expire", include_in_schema=False)
    async def expire(uid: FromPath[str]) -> Response[bytes]:
        return await control(uid, surface.expire)

    @post(f"{_ONE}/callbacks/hold", include_in_schema=False)
    async def hold_callbacks(uid: FromPath[str]) -> Response[bytes]:
        try:
            return json_response(surface.transaction_view(surface.hold(uid)), 200)
        except TransactionNotFoundError:
            return not_found(uid)

    @post(f"{_ONE}/callbacks/release", include_in_schema=False)
    async def release_callbacks(
        uid: FromPath[str], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        try:
            options = parse_options(await request.body(), {"order", "keep_holding"})
            order = options.get("order")
            if order is not None and not isinstance(order, list):
                raise InvalidControlRequest("order must be a list of indices")
            outcome = await surface.release(uid, order, flag(options, "keep_holding"))
        except TransactionNotFoundError:
            return not_found(uid)
        except InvalidControlRequest as error:
            return _bad_request(error)
        return json_response(surface.release_view(outcome), 200)

    @post(f"{_ONE}/callbacks/drop", include_in_schema=False)
    async def drop_callbacks(
        uid: FromPath[str], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        try:
            options = parse_options(await request.body(), {"keep_holding"})
            transaction = surface.drop(uid, flag(options, "keep_holding"))
        except TransactionNotFoundError:
            return not_found(uid)
        except InvalidControlRequest as error:
            return _bad_request(error)
        return json_response(surface.transaction_view(transaction), 200)

    return [
        list_transactions,
        inspect_transaction,
        pay,
        fail,
        expire,
        *_fault_handlers(faults, surface.decode_fault_changes),
        hold_callbacks,
        release_callbacks,
        drop_callbacks,
    ]


def _fault_handlers(
    faults: FaultInjector, decode: Callable[[bytes], dict[str, Any]]
) -> list[HTTPRouteHandler]:
    """Show, set (a JSON object of changes) and reset the simulated network's faults."""

    @get(CONTROL_FAULTS_PATH, include_in_schema=False)
    async def show_faults() -> Response[bytes]:
        return json_response(faults.settings, 200)

    @post(CONTROL_FAULTS_PATH, status_code=200, include_in_schema=False)
    async def set_faults(request: Request[Any, Any, Any]) -> Response[bytes]:
        try:
            faults.update(decode(await request.body()))
        except (ValueError, RecursionError) as error:  # msgspec.DecodeError is a ValueError
            return _bad_request(error)
        return json_response(faults.settings, 200)

    @delete(CONTROL_FAULTS_PATH, status_code=200, include_in_schema=False)
    async def reset_faults() -> Response[bytes]:
        faults.reset()
        return json_response(faults.settings, 200)

    return [show_faults, set_faults, reset_faults]


def _bad_request(error: Exception) -> Response[bytes]:
    return json_response({"error": str(error)}, 400)
