"""The Litestar application factory (`entrypoints.http.app:create_app`)."""

from collections.abc import Collection

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler, Middleware

from entrypoints.background import background_jobs as run_background_jobs
from entrypoints.background import process_runner_id
from entrypoints.container import (
    SIMULATOR_RECEIVER_PATH,
    Container,
    build_container,
    receiver_secret,
)
from entrypoints.duitku_simulator import simulator_mount
from entrypoints.http.api_reference import ApiReferencePage
from entrypoints.http.auth import ORDER_TOKEN_HEADER
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.bench import BenchmarkBaselines
from entrypoints.http.controllers.gateway_notifications import GatewayNotificationController
from entrypoints.http.controllers.health import HealthController
from entrypoints.http.controllers.inbox import InboxController
from entrypoints.http.controllers.menu import MenuController
from entrypoints.http.controllers.metrics import metrics
from entrypoints.http.controllers.order_events import OrderEventsController
from entrypoints.http.controllers.orders import OrderController
from entrypoints.http.controllers.payment_page import (
    PAGE_DIRECTORY,
    PaymentPageController,
    payment_page_assets,
)
from entrypoints.http.controllers.payments import PaymentController
from entrypoints.http.controllers.receipts import ReceiptController
from entrypoints.http.controllers.refunds import OrderRefundController, RefundController
from entrypoints.http.controllers.reports import ReportController
from entrypoints.http.controllers.shifts import ShiftController
from entrypoints.http.controllers.staff import AuditController, StaffController
from entrypoints.http.controllers.staff_review import StaffReviewController
from entrypoints.http.controllers.webhooks import (
    WebhookDeliveryController,
    WebhookSubscriptionController,
)
from entrypoints.http.creation_limit import creation_limit_middleware
from entrypoints.http.dependencies import dependencies
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.idempotency import IDEMPOTENT_OPT, idempotency_middleware
from entrypoints.http.input_guard import body_deadline_middleware, input_guard_middleware
from entrypoints.http.lifespan import resources
from entrypoints.http.request_id import request_id_middleware
from entrypoints.http.security_headers import security_headers
from entrypoints.midtrans_simulator import midtrans_simulator_mount
from entrypoints.settings import load_settings
from entrypoints.webhook_dispatcher import webhook_dispatch
from entrypoints.webhook_receiver import log_printer, receiver_handler

API_VERSION = "1.0.0"
MAX_REQUEST_BYTES = 64 * 1024


def create_app(
    container: Container | None = None, *, background_jobs: bool | None = None
) -> Litestar:
    """Build the app from a container (tests) or from the environment's settings.

    `background_jobs` starts the reconciliation job (every RECONCILE_INTERVAL_SECONDS, 0 =
    off) and the webhook dispatcher (WEBHOOK_DISPATCH_INTERVAL_SECONDS) with the app; by
    default only an app built from the environment (the service) runs them, never one handed
    a container unless asked.
    """
    if background_jobs is None:
        background_jobs = container is None
    if container is None:
        container = build_container(load_settings())
    settings = container.settings()
    # The endpoints that create something pass the per-address creation limit and the
    # Idempotency-Key middleware (innermost); every other route, a gateway's notification
    # included, skips both.
    limited = creation_limit_middleware(container.creation_limits())
    idempotent = idempotency_middleware(
        container.idempotent_requests, container.staff_authenticator, container.client_address
    )
    creating = Router(
        path="/",
        route_handlers=[OrderController, PaymentController, ShiftController, OrderRefundController],
        middleware=[limited, idempotent],
    )
    handlers: list[ControllerRouterHandler] = [
        HealthController,
        MenuController,
        creating,
        OrderEventsController,
        ReceiptController,
        ReportController,
        StaffReviewController,
        RefundController,
        GatewayNotificationController,
        InboxController,
        WebhookSubscriptionController,
        WebhookDeliveryController,
        AuthController,
        StaffController,
        AuditController,
        PaymentPageController,
        payment_page_assets(),
        metrics,
    ]
    simulator = container.simulator()
    if simulator is not None:
        handlers.append(simulator_mount(simulator))
        # The receiver the fixed subscriber of simulator mode points at (kasir.webhooks.receiver).
        handlers.append(
            receiver_handler(
                receiver_secret(container.run_secret()), SIMULATOR_RECEIVER_PATH, log_printer
            )
        )
    midtrans_simulator = container.midtrans_simulator()
    if midtrans_simulator is not None:
        handlers.append(midtrans_simulator_mount(midtrans_simulator))
    if settings.kasir_benchmark_routes:  # `make bench` only; settings allow it in fake mode
        handlers.append(BenchmarkBaselines)
    app = Litestar(
        route_handlers=handlers,
        dependencies=dependencies(container),
        exception_handlers=EXCEPTION_HANDLERS,
        # Entered in order, left in reverse: the job stops before the resources close.
        lifespan=[
            resources(container),
            run_background_jobs(container, enabled=background_jobs),
            webhook_dispatch(container, enabled=background_jobs, owner=process_runner_id()),
        ],
        # The channels plugin (a lifespan of its own) carries order wake-ups between
        # processes; the hub subscribes once it runs and ends the open streams on the way out.
        plugins=[container.channels()],
        on_startup=[container.order_wakeups().start],
        on_shutdown=[container.order_wakeups().stop],
        # The input guard refuses malformed input before anything else reads it.
        middleware=[
            request_id_middleware,
            body_deadline_middleware(settings.request_body_timeout_seconds),
            input_guard_middleware,
        ],
        before_send=[security_headers(https=settings.public_base_url.startswith("https://"))],
        request_max_body_size=MAX_REQUEST_BYTES,
        # The payment page (autoescaped Jinja2 templates, kasir's own files only).
        template_config=TemplateConfig(
            directory=PAGE_DIRECTORY / "templates", engine=JinjaTemplateEngine
        ),
        logging_config=None,
        cors_config=(
            CORSConfig(allow_origins=list(settings.cors_allow_origins))
            if settings.cors_allow_origins
            else None
        ),
        openapi_config=_openapi(),
        debug=False,
    )
    check_creating_routes(app, limited, idempotent, container.creation_limits().paths)
    return app


def check_creating_routes(
    app: Litestar, limited: Middleware, idempotent: Middleware, limited_paths: Collection[str]
) -> None:
    """Refuse to start when a route that opts into `Idempotency-Key`, or a POST to a
    rate-limited path, does not pass its middleware: a route handler added outside the
    `creating` router would silently lose its guard."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            middleware = handler.resolve_middleware()
            if handler.opt.get(IDEMPOTENT_OPT) and idempotent not in middleware:
                raise RuntimeError(f"{route.path} opts into Idempotency-Key outside `creating`")
            posts = "POST" in handler.http_methods
            if posts and route.path in limited_paths and limited not in middleware:
                raise RuntimeError(f"POST {route.path} is rate limited outside `creating`")


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="kasir",
        version=API_VERSION,
        description=(
            "Payment backend for restaurant orders: QRIS through Duitku, cash at the cashier. "
            'Every error body is {"error": {"code", "message", "details"}}.'
        ),
        path="/schema",
        # Served from kasir itself: no CDN (docs/production.md, "Security headers").
        render_plugins=[ApiReferencePage(), JsonRenderPlugin(), YamlRenderPlugin()],
        components=Components(
            security_schemes={
                "StaffToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description=(
                        "A staff session token from POST /api/v1/auth/login, or a machine's "
                        "API token from KASIR_STAFF_TOKENS. Roles: admin or cashier "
                        "(docs/access.md)."
                    ),
                ),
                "OrderToken": SecurityScheme(
                    type="apiKey", name=ORDER_TOKEN_HEADER, security_scheme_in="header"
                ),
            }
        ),
    )
