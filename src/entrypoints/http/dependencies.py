"""What Litestar hands to handlers: one typed `Provide` per dependency, read from the container.

dependency-injector builds the objects; Litestar's `Provide` delivers them. Each delivery is a
call of one container provider, so a provider a test replaces (tests/support/overrides.py)
reaches every handler. No handler reads `app.state`: the container is bound here, when the
app is built.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from litestar import Request
from litestar.di import Provide

from application.callers import Staff
from entrypoints.container import Container

T = TypeVar("T")


def _deliver(provider: Callable[[], T]) -> Provide:
    # A plain call, not a coroutine to await nor a thread: the object is built once per
    # process (entrypoints.container.Wiring), so delivering it only looks it up.
    def provide() -> T:
        return provider()

    return Provide(provide, sync_to_thread=False)


def dependencies(container: Container) -> dict[str, Provide]:
    """Every dependency a handler can name, by the parameter name it uses."""

    async def provide_staff(request: Request[Any, Any, Any]) -> Staff:
        """The authenticated staff member; 401 without a valid bearer token."""
        return await container.staff_authenticator().require(request.headers.get("Authorization"))

    async def provide_optional_staff(request: Request[Any, Any, Any]) -> Staff | None:
        return await container.staff_authenticator().identify(request.headers.get("Authorization"))

    def provide_client_address(request: Request[Any, Any, Any]) -> str:
        """The caller's address (X-Forwarded-For only from TRUSTED_PROXIES)."""
        return container.client_address()(request)

    return {
        "add_menu_item": _deliver(container.add_menu_item),
        "update_menu_item": _deliver(container.update_menu_item),
        "list_menu_items": _deliver(container.list_menu_items),
        "place_order": _deliver(container.place_order),
        "cancel_order": _deliver(container.cancel_order),
        "get_order": _deliver(container.get_order),
        "list_orders": _deliver(container.list_orders),
        "get_receipt": _deliver(container.get_receipt),
        "get_day_report": _deliver(container.get_day_report),
        "get_payment": _deliver(container.get_payment),
        "start_qris_payment": _deliver(container.start_qris_payment),
        "handle_payment_notification": _deliver(container.handle_payment_notification),
        "pay_cash": _deliver(container.pay_cash),
        "list_refunds": _deliver(container.list_refunds),
        "resolve_refund": _deliver(container.resolve_refund),
        "open_shift": _deliver(container.open_shift),
        "current_shift": _deliver(container.current_shift),
        "get_shift_report": _deliver(container.get_shift_report),
        "record_cash_movement": _deliver(container.record_cash_movement),
        "close_shift": _deliver(container.close_shift),
        "request_refund": _deliver(container.request_refund),
        "approve_refund": _deliver(container.approve_refund),
        "reject_refund": _deliver(container.reject_refund),
        "list_refund_requests": _deliver(container.list_refund_requests),
        "list_notifications": _deliver(container.list_notifications),
        "list_payments_needing_review": _deliver(container.list_payments_needing_review),
        "resolve_payment_review": _deliver(container.resolve_payment_review),
        "reprocess_notification": _deliver(container.reprocess_notification),
        "review_notification": _deliver(container.review_notification),
        "create_subscription": _deliver(container.create_subscription),
        "list_subscriptions": _deliver(container.list_subscriptions),
        "set_subscription_status": _deliver(container.set_subscription_status),
        "list_deliveries": _deliver(container.list_deliveries),
        "replay_deliveries": _deliver(container.replay_deliveries),
        "log_in": _deliver(container.log_in),
        "log_out": _deliver(container.log_out),
        "list_staff": _deliver(container.list_staff),
        "add_staff": _deliver(container.add_staff),
        "change_staff": _deliver(container.change_staff),
        "read_audit_log": _deliver(container.read_audit_log),
        "callback_allowlist": _deliver(container.callback_allowlist),
        "callback_failures": _deliver(container.callback_failures),
        "urls": _deliver(container.public_urls),
        "payment_page_links": _deliver(container.payment_page_links),
        "payment_links": _deliver(container.payment_links),
        "stream_tokens": _deliver(container.stream_tokens),
        "get_live_status": _deliver(container.get_live_status),
        "order_wakeups": _deliver(container.order_wakeups),
        "stream_slots": _deliver(container.stream_slots),
        "stream_timing": _deliver(container.stream_timing),
        "settings": _deliver(container.settings),
        "database_engine": _deliver(container.engine),
        "payment_gateways": _deliver(container.payment_gateways),
        "client_address": Provide(provide_client_address, sync_to_thread=False),
        "staff": Provide(provide_staff),
        "maybe_staff": Provide(provide_optional_staff),
    }
