"""Assembly of the simulator: one object owning its state, its HTTP client and its app.

Two ways to run it:

* standalone: ``uvicorn --factory entrypoints.duitku_simulator.app:create_simulator_app``
  (its own lifespan closes the callback client on shutdown);
* mounted in a host Litestar app: ``route_handlers=[simulator_mount(simulator)]`` and
  ``on_shutdown=[simulator.aclose]`` in the host, because a mounted app's own lifespan
  never runs.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException
from litestar.handlers import ASGIRouteHandler, asgi
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import CONNECTION_STATE_KEY

from entrypoints.duitku_simulator.callbacks import CallbackSender
from entrypoints.duitku_simulator.config import DEFAULT_MOUNT_PATH, SimulatorConfig
from entrypoints.duitku_simulator.control import Controller, ControlOutcome
from entrypoints.duitku_simulator.duitku_api import ApiReply, DuitkuApi
from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.duitku_simulator.routes import build_route_handlers, duitku_response
from entrypoints.duitku_simulator.store import Transaction, TransactionStore
from entrypoints.http.input_guard import input_guard_middleware
from entrypoints.http.security_headers import security_headers

__all__ = [
    "DuitkuSimulator",
    "SimulatorConfig",
    "build_simulator",
    "create_simulator_app",
    "simulator_mount",
]

Clock = Callable[[], datetime]

_logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The simulator's default clock: the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _http_error_as_duitku(request: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    # Unknown paths and wrong methods answer in Duitku's error shape as well.
    return duitku_response(ApiReply.error(error.status_code, error.detail))


def _crash_as_duitku(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    _logger.error("simulator crashed on %s %s", request.method, request.url.path, exc_info=error)
    return duitku_response(ApiReply.error(500, "Internal Server Error"))


class DuitkuSimulator:
    """A running simulator: store, faults, callback client and the ASGI app serving them.

    Tests may drive it directly (``pay``/``fail``/``expire``/``inspect``) instead of
    through the control endpoints; both go through the same code.
    """

    def __init__(
        self,
        config: SimulatorConfig,
        *,
        clock: Clock = utc_now,
        callback_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.store = TransactionStore()
        self.faults = FaultInjector(config.faults, timeout_sleep_s=config.timeout_sleep_s)
        self._sender = CallbackSender(
            max_attempts=config.max_callback_attempts,
            retry_delay_s=config.callback_retry_delay_s,
            timeout_s=config.callback_timeout_s,
            transport=callback_transport,
        )
        self.api = DuitkuApi(config, self.store, clock=clock)
        self.controller = Controller(config, self.store, self._sender, self.faults, clock=clock)
        self.asgi_app = Litestar(
            route_handlers=build_route_handlers(self.api, self.controller, self.faults),
            on_shutdown=[self.aclose],
            # The same refusal of control characters and malformed input as kasir's own routes.
            middleware=[input_guard_middleware],
            exception_handlers={
                HTTPException: _http_error_as_duitku,
                Exception: _crash_as_duitku,
            },
            openapi_config=None,
            # Its payment page is HTML served to a browser, like kasir's own pages.
            before_send=[security_headers(https=False)],
            # Logging belongs to whoever runs the simulator; Litestar's default config
            # would reconfigure the root logger of a test session or host process.
            logging_config=None,
        )

    async def pay(self, merchant_order_id: str, *, amount: int | None = None) -> ControlOutcome:
        """Pay a pending transaction and deliver its callback (see ``Controller.pay``)."""
        return await self.controller.pay(merchant_order_id, amount=amount)

    async def fail(self, merchant_order_id: str) -> ControlOutcome:
        """Fail a pending transaction and deliver its callback."""
        return await self.controller.fail(merchant_order_id)

    def expire(self, merchant_order_id: str) -> ControlOutcome:
        """Expire a pending transaction now; no callback is sent."""
        return self.controller.expire(merchant_order_id)

    def inspect(self, merchant_order_id: str) -> Transaction:
        """The transaction's current state; raises TransactionNotFoundError."""
        return self.controller.inspect(merchant_order_id)

    def reset(self) -> None:
        """Forget every transaction and clear the faults, as if just started."""
        self.store.clear()
        self.faults.reset()

    async def aclose(self) -> None:
        """Close the callback HTTP client; idempotent. Host apps call it on shutdown."""
        await self._sender.aclose()


def build_simulator(
    config: SimulatorConfig | None = None,
    *,
    clock: Clock = utc_now,
    callback_transport: httpx.AsyncBaseTransport | None = None,
) -> DuitkuSimulator:
    """Create a simulator; ``clock`` lets tests move time, ``callback_transport`` lets a
    host route callbacks in-process instead of over the network."""
    return DuitkuSimulator(
        config or SimulatorConfig(), clock=clock, callback_transport=callback_transport
    )


def create_simulator_app(config: SimulatorConfig | None = None) -> Litestar:
    """A standalone simulator app (usable as a uvicorn ``--factory``)."""
    return build_simulator(config).asgi_app


def simulator_mount(simulator: DuitkuSimulator, path: str = DEFAULT_MOUNT_PATH) -> ASGIRouteHandler:
    """A route handler that mounts ``simulator`` under ``path`` in a host Litestar app.

    ASGI mounts never appear in the host's OpenAPI schema.
    """

    async def forward(scope: Scope, receive: Receive, send: Send) -> None:
        # The host already cached its own view of this connection (URL, handlers...)
        # in the scope state; the inner app must build its own.
        scope["state"] = {
            key: value
            for key, value in scope.get("state", {}).items()
            if key != CONNECTION_STATE_KEY
        }
        await simulator.asgi_app(scope, receive, send)

    return asgi(path, is_mount=True, copy_scope=True, name="duitku_simulator")(forward)
