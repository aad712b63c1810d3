"""Assembly of the simulator: one object owning its state, its HTTP client and its app.

Two ways to run it:

* standalone: ``uvicorn --factory entrypoints.duitku_simulator.app:create_simulator_app``
  (its own lifespan closes the callback client on shutdown);
* mounted in a host Litestar app: ``route_handlers=[simulator_mount(simulator)]`` and
  ``on_shutdown=[simulator.aclose]`` in the host, because a mounted app's own lifespan
  never runs.
"""

import httpx
from litestar import Litestar
from litestar.handlers import ASGIRouteHandler

from entrypoints.duitku_simulator.callbacks import CallbackSender
from entrypoints.duitku_simulator.config import DEFAULT_MOUNT_PATH, SimulatorConfig
from entrypoints.duitku_simulator.control import Controller, ControlOutcome
from entrypoints.duitku_simulator.duitku_api import ApiReply, DuitkuApi
from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.duitku_simulator.routes import build_route_handlers, duitku_response
from entrypoints.duitku_simulator.store import Transaction, TransactionStore
from entrypoints.gateway_simulator.assembly import Clock, simulator_app, utc_now
from entrypoints.gateway_simulator.assembly import simulator_mount as mount
from entrypoints.http.security_headers import security_headers

__all__ = [
    "DuitkuSimulator",
    "SimulatorConfig",
    "build_simulator",
    "create_simulator_app",
    "simulator_mount",
]


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
        self.asgi_app = simulator_app(
            build_route_handlers(self.api, self.controller, self.faults),
            error_reply=lambda status, message: duitku_response(ApiReply.error(status, message)),
            crash_message="Internal Server Error",
            on_shutdown=self.aclose,
            # Its payment page is HTML served to a browser, like kasir's own pages.
            before_send=[security_headers(https=False)],
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

    return mount(simulator.asgi_app, path, "duitku_simulator")
