"""Withdrawing a QR at its gateway once kasir has closed the attempt, where the gateway can.

Kasir's own decision (the cash taken, the order cancelled) is committed first; this runs after,
with no transaction open, and bounded in time because a cashier is waiting. Nothing here can
undo that decision: a cancel that fails, times out or is refused (the QR was paid meanwhile)
is logged, and the closed-QR rules apply as for a gateway without the capability —
reconciliation keeps watching the attempt, and money arriving on it becomes a refund to make.
"""

import asyncio
import logging
from datetime import timedelta

from application.errors import GatewayError
from application.gateways import Gateways, UnknownGateway
from domain.payments import Payment

logger = logging.getLogger("kasir.gateway_cancel")

DEFAULT_CANCEL_TIMEOUT = timedelta(seconds=3)


async def withdraw_closed_qr(
    gateways: Gateways, closed: Payment | None, *, within: timedelta = DEFAULT_CANCEL_TIMEOUT
) -> bool:
    """Ask the gateway that issued `closed` to cancel its QR; True when it did.

    Does nothing (False) for no attempt, an attempt still open (not closed by kasir), or a
    gateway without the cancel capability.
    """
    if closed is None or closed.is_open or closed.gateway is None:
        return False
    try:
        gateway = gateways.named(closed.gateway)
    except UnknownGateway:
        return False
    if not gateway.cancels_qris:
        return False
    try:
        async with asyncio.timeout(within.total_seconds()):
            await gateway.cancel_qris(closed.attempt_id)
    except (GatewayError, TimeoutError) as error:
        code = error.code if isinstance(error, GatewayError) else "no answer in time"
        logger.warning(
            "the gateway did not cancel the QR of %s (%s): it stays watched until it expires",
            closed.attempt_id,
            code,
        )
        return False
    logger.info("the QR of %s was cancelled at its gateway", closed.attempt_id)
    return True
