"""A tiny receiver of kasir's webhook feed, so a newcomer sees the feed work.

It verifies each delivery with the `standardwebhooks` library (exactly what a real receiver
does, docs/events.md), answers 204, and prints one line per verified delivery; a delivery
that does not verify is answered 400 and printed as refused. Simulator mode of `make run`
mounts it at /simulator/webhooks (the fixed subscriber points at it); `kasir listen` runs it
on a port of its own for any WEBHOOK_URL/WEBHOOK_SECRET pair.
"""

import logging
import sys
from collections.abc import Callable
from typing import Any

from litestar import Litestar, Request, Response, post
from litestar.handlers import HTTPRouteHandler
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

logger = logging.getLogger("kasir.webhooks.receiver")

Printer = Callable[[str], None]


def describe(webhook_id: str, payload: dict[str, Any]) -> str:
    """One line for a verified delivery: its id, type, order, number and states."""
    order = payload.get("order") or {}
    payment = payload.get("payment") or {}
    line = (
        f"verified {webhook_id} {payload.get('type')} order {order.get('id')} "
        f"#{payload.get('seq')} order.status={order.get('status')} total={order.get('total')}"
    )
    if payment:
        line += f" payment.status={payment.get('status')} amount={payment.get('amount')}"
    return line


def receiver_handler(secret: str, path: str, printer: Printer) -> HTTPRouteHandler:
    """POST `path`: verify, print, answer 204 (400 when the signature does not verify)."""
    verifier = Webhook(secret)

    @post(path, include_in_schema=False, status_code=200, name=f"webhook-receiver:{path}")
    async def receive(request: Request[Any, Any, Any]) -> Response[Any]:
        body = await request.body()
        headers = dict(request.headers.items())
        try:
            payload = verifier.verify(body, headers)
        except (WebhookVerificationError, ValueError) as refused:
            printer(f"refused a delivery: {refused}")
            return Response({"error": "signature does not verify"}, status_code=400)
        printer(describe(headers.get("webhook-id", "?"), payload))
        return Response(None, status_code=204)

    return receive


def log_printer(line: str) -> None:
    logger.info(line)


def stdout_printer(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def listener_app(secret: str, printer: Printer = stdout_printer) -> Litestar:
    """`kasir listen`: the receiver at `/`, nothing else."""
    return Litestar(route_handlers=[receiver_handler(secret, "/", printer)], openapi_config=None)
