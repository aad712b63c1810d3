"""Bridges from Litestar's dependency injection to the dependency-injector container.

dependency-injector builds the objects; Litestar's `Provide` hands them to handlers. Each
bridge is a one-line container call, so overriding a provider in a test reaches every handler.
"""

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide

from entrypoints.container import Container
from entrypoints.http.auth import StaffAuthenticator, StaffMember

USE_CASES = (
    "add_menu_item",
    "update_menu_item",
    "list_menu_items",
    "place_order",
    "cancel_order",
    "get_order",
    "list_orders",
    "get_payment",
    "start_qris_payment",
    "handle_payment_notification",
    "pay_cash",
    "list_refunds",
    "resolve_refund",
    "list_notifications",
    "list_payments_needing_review",
    "resolve_payment_review",
    "reprocess_notification",
    "review_notification",
)


def container_of(state: State) -> Container:
    container: Container = state.container
    return container


def _bridge(name: str) -> Provide:
    async def provide(state: State) -> Any:
        return getattr(container_of(state), name)()

    provide.__name__ = f"provide_{name}"
    return Provide(provide)


async def provide_staff(request: Request[Any, Any, State]) -> StaffMember:
    """The authenticated staff member; 401 without a valid bearer token."""
    authenticator: StaffAuthenticator = request.app.state.staff_authenticator
    return authenticator.require(request.headers.get("Authorization"))


async def provide_optional_staff(request: Request[Any, Any, State]) -> StaffMember | None:
    authenticator: StaffAuthenticator = request.app.state.staff_authenticator
    return authenticator.identify(request.headers.get("Authorization"))


DEPENDENCIES: dict[str, Provide] = {
    **{name: _bridge(name) for name in USE_CASES},
    "staff": Provide(provide_staff),
    "maybe_staff": Provide(provide_optional_staff),
}
