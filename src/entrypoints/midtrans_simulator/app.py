"""Assembly of the Midtrans simulator: one object owning its state, client and ASGI app.

Standalone (`kasir simulator --gateway midtrans`) or mounted in kasir at /simulator/midtrans
in simulator mode (the host closes it on shutdown: a mounted app's lifespan never runs).
"""

import httpx
from litestar import Litestar
from litestar.handlers import ASGIRouteHandler

from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.gateway_simulator.assembly import Clock, simulator_app, utc_now
from entrypoints.gateway_simulator.assembly import simulator_mount as mount
from entrypoints.midtrans_simulator.api import ApiReply, MidtransApi
from entrypoints.midtrans_simulator.config import DEFAULT_MOUNT_PATH, MidtransSimulatorConfig
from entrypoints.midtrans_simulator.control import Controller, MidtransOutcome
from entrypoints.midtrans_simulator.notifications import NotificationSender
from entrypoints.midtrans_simulator.routes import build_route_handlers, midtrans_response
from entrypoints.midtrans_simulator.store import Transaction, TransactionStore


class MidtransSimulator:
    """A running simulator; tests may drive it directly (pay/fail/expire/inspect)."""

    def __init__(
        self,
        config: MidtransSimulatorConfig,
        *,
        clock: Clock = utc_now,
        callback_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.store = TransactionStore()
        self.faults = FaultInjector(config.faults, timeout_sleep_s=config.timeout_sleep_s)
        self._sender = NotificationSender(
            max_attempts=config.max_callback_attempts,
            retry_delay_s=config.callback_retry_delay_s,
            timeout_s=config.callback_timeout_s,
            transport=callback_transport,
        )
        self.api = MidtransApi(config, self.store, clock=clock)
        self.controller = Controller(config, self.store, self._sender, self.faults, clock=clock)
        self.asgi_app = simulator_app(
            build_route_handlers(self.api, self.controller, self.faults),
            error_reply=lambda status, message: midtrans_response(ApiReply.error(status, message)),
            crash_message="Sorry, we encountered internal server error.",
            on_shutdown=self.aclose,
        )

    async def pay(self, order_id: str, *, amount: int | None = None) -> MidtransOutcome:
        return await self.controller.pay(order_id, amount=amount)

    async def fail(self, order_id: str) -> MidtransOutcome:
        return await self.controller.fail(order_id)

    async def expire(self, order_id: str) -> MidtransOutcome:
        return await self.controller.expire(order_id)

    def inspect(self, order_id: str) -> Transaction:
        return self.controller.inspect(order_id)

    def reset(self) -> None:
        self.store.clear()
        self.faults.reset()

    async def aclose(self) -> None:
        await self._sender.aclose()


def build_midtrans_simulator(
    config: MidtransSimulatorConfig | None = None,
    *,
    clock: Clock = utc_now,
    callback_transport: httpx.AsyncBaseTransport | None = None,
) -> MidtransSimulator:
    return MidtransSimulator(
        config or MidtransSimulatorConfig(), clock=clock, callback_transport=callback_transport
    )


def create_midtrans_simulator_app(config: MidtransSimulatorConfig | None = None) -> Litestar:
    """A standalone simulator app (usable as a uvicorn `--factory`)."""
    return build_midtrans_simulator(config).asgi_app


def midtrans_simulator_mount(
    simulator: MidtransSimulator, path: str = DEFAULT_MOUNT_PATH
) -> ASGIRouteHandler:
    """A route handler mounting `simulator` under `path` in a host Litestar app."""

    return mount(simulator.asgi_app, path, "midtrans_simulator")
