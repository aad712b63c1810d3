"""Midtrans's HTTP notifications: the signed JSON body and its retrying delivery."""

from typing import Any

from entrypoints.gateway_simulator.delivery import CallbackPoster, DeliveryAttempt
from entrypoints.midtrans_simulator.api import midtrans_time, transaction_body
from entrypoints.midtrans_simulator.config import MidtransSimulatorConfig
from entrypoints.midtrans_simulator.signatures import signature_key
from entrypoints.midtrans_simulator.store import Transaction


def build_notification(
    config: MidtransSimulatorConfig, transaction: Transaction, *, wrong_signature: bool = False
) -> dict[str, Any]:
    """The JSON body Midtrans posts for the transaction as it stands now."""
    body = transaction_body(config, transaction)
    body["status_message"] = "midtrans payment notification"
    body["transaction_type"] = "on-us"
    body["issuer"] = transaction.acquirer
    if transaction.settled_at is not None:
        body["settlement_time"] = midtrans_time(transaction.settled_at)
    # A wrong signature has the right shape, so only verification catches it.
    order_id = "not-the-signed-order" if wrong_signature else body["order_id"]
    body["signature_key"] = signature_key(
        order_id, body["status_code"], body["gross_amount"], config.server_key
    )
    return body


class NotificationSender(CallbackPoster):
    """Posts JSON notifications until one is answered 2xx or the attempts run out (Midtrans
    retries anything else)."""

    async def deliver(self, url: str, body: dict[str, Any]) -> list[DeliveryAttempt]:
        """Post ``body`` as JSON to ``url`` until it answers 2xx or the attempts run out."""
        return await self.post(url, json=body)
