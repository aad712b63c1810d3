"""The Litestar application factory (`entrypoints.http.app:create_app`)."""

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler

from entrypoints.container import Container, build_container
from entrypoints.duitku_simulator import simulator_mount
from entrypoints.http.auth import ORDER_TOKEN_HEADER, StaffAuthenticator
from entrypoints.http.controllers.health import HealthController
from entrypoints.http.controllers.menu import MenuController
from entrypoints.http.controllers.orders import OrderController
from entrypoints.http.controllers.payments import PaymentController
from entrypoints.http.controllers.webhooks import WebhookController
from entrypoints.http.dependencies import DEPENDENCIES
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.lifespan import resources
from entrypoints.settings import load_settings

API_VERSION = "1.0.0"


def create_app(container: Container | None = None) -> Litestar:
    """Build the app from a container (tests) or from the environment's settings."""
    if container is None:
        container = build_container(load_settings())
    settings = container.settings()
    handlers: list[ControllerRouterHandler] = [
        HealthController,
        MenuController,
        OrderController,
        PaymentController,
        WebhookController,
    ]
    simulator = container.simulator()
    if simulator is not None:
        handlers.append(simulator_mount(simulator))
    return Litestar(
        route_handlers=handlers,
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[resources],
        state=State(
            {
                "container": container,
                "settings": settings,
                "staff_authenticator": StaffAuthenticator(settings.kasir_staff_tokens),
            }
        ),
        cors_config=(
            CORSConfig(allow_origins=list(settings.cors_allow_origins))
            if settings.cors_allow_origins
            else None
        ),
        openapi_config=_openapi(),
        debug=False,
    )


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="kasir",
        version=API_VERSION,
        description=(
            "Payment backend for restaurant orders: QRIS through Duitku, cash at the cashier. "
            "Every error body is {\"error\": {\"code\", \"message\", \"details\"}}."
        ),
        path="/schema",
        components=Components(
            security_schemes={
                "StaffToken": SecurityScheme(type="http", scheme="bearer"),
                "OrderToken": SecurityScheme(
                    type="apiKey", name=ORDER_TOKEN_HEADER, security_scheme_in="header"
                ),
            }
        ),
    )
