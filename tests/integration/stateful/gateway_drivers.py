"""What the money-invariant machine needs to know of each gateway's simulator: its record of
what was paid and delivered, its control routes, and how a forger writes its notifications.

The machine itself names no gateway: it asks its stack's driver.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from entrypoints.duitku_simulator import DEFAULT_MOUNT_PATH as DUITKU_MOUNT
from entrypoints.duitku_simulator import DuitkuSimulator
from entrypoints.duitku_simulator.callbacks import Payer, build_callback_form
from entrypoints.duitku_simulator.signatures import callback_message, sign
from entrypoints.duitku_simulator.store import DeliveryAttempt, TransactionState
from entrypoints.midtrans_simulator import DEFAULT_MOUNT_PATH as MIDTRANS_MOUNT
from entrypoints.midtrans_simulator import MidtransSimulator
from entrypoints.midtrans_simulator.notifications import build_notification
from entrypoints.midtrans_simulator.signatures import signature_key
from entrypoints.midtrans_simulator.store import SETTLEMENT

FORGERIES = (
    "bad_signature",
    "other_merchant",
    "changed_amount",
    "signed_success_never_paid",
    "signed_success_unknown_order",
)


@dataclass(frozen=True, slots=True)
class AtGateway:
    """One simulated transaction as the invariants read it."""

    uid: str
    paid: bool
    reported_amount: int
    deliveries: list[DeliveryAttempt]


@dataclass(frozen=True, slots=True)
class Forgery:
    """A forged notification: the attempt it names and how it is posted."""

    uid: str
    post: dict[str, Any]  # httpx keyword arguments: data= (a form) or json=


class GatewayDriver(Protocol):
    name: str
    mount: str
    webhook_path: str

    def transactions(self, now: datetime) -> list[AtGateway]: ...

    def paid(self, uid: str, now: datetime) -> bool | None: ...

    def reset(self) -> None: ...

    def forge(self, uid: str, variant: str, now: datetime) -> Forgery | None: ...


@dataclass(slots=True)
class DuitkuDriver:
    simulator: DuitkuSimulator
    name: str = "duitku"
    mount: str = DUITKU_MOUNT
    webhook_path: str = "/api/v1/webhooks/duitku"

    def transactions(self, now: datetime) -> list[AtGateway]:
        return [
            AtGateway(
                t.merchant_order_id,
                t.state is TransactionState.PAID,
                t.reported_amount,
                t.deliveries,
            )
            for t in self.simulator.store.all(now=now)
        ]

    def paid(self, uid: str, now: datetime) -> bool | None:
        transaction = self.simulator.store.get(uid, now=now)
        return None if transaction is None else transaction.state is TransactionState.PAID

    def reset(self) -> None:
        self.simulator.reset()

    def forge(self, uid: str, variant: str, now: datetime) -> Forgery | None:
        transaction = self.simulator.inspect(uid)
        if variant == "signed_success_never_paid" and transaction.state is TransactionState.PAID:
            return None
        config = self.simulator.config
        base = dataclasses.replace(transaction, settled_at=now)
        if variant == "signed_success_unknown_order":
            base = dataclasses.replace(base, merchant_order_id=f"{uid[:-4]}ZZZZ")
        form = build_callback_form(
            base,
            result_code="00",
            api_key=config.api_key,
            scheme=config.callback_signature,
            payer=Payer(config.payer_issuer_code, config.payer_name),
        )
        if variant == "bad_signature":
            form["signature"] = sign("forged", config.api_key, config.callback_signature)
        elif variant == "other_merchant":
            form["merchantCode"] = "DS99999"
            form["signature"] = sign(
                callback_message("DS99999", form["amount"], form["merchantOrderId"]),
                config.api_key,
                config.callback_signature,
            )
        elif variant == "changed_amount":
            form["amount"] = str(int(form["amount"]) + 1_000)
        return Forgery(form["merchantOrderId"], {"data": form})


@dataclass(slots=True)
class MidtransDriver:
    simulator: MidtransSimulator
    name: str = "midtrans"
    mount: str = MIDTRANS_MOUNT
    webhook_path: str = "/api/v1/webhooks/midtrans"

    def transactions(self, now: datetime) -> list[AtGateway]:
        return [
            AtGateway(
                t.order_id,
                t.status == SETTLEMENT,
                int(t.reported_amount.split(".")[0]),
                t.deliveries,
            )
            for t in self.simulator.store.all(now=now)
        ]

    def paid(self, uid: str, now: datetime) -> bool | None:
        transaction = self.simulator.store.get(uid, now=now)
        return None if transaction is None else transaction.status == SETTLEMENT

    def reset(self) -> None:
        self.simulator.reset()

    def forge(self, uid: str, variant: str, now: datetime) -> Forgery | None:
        transaction = self.simulator.inspect(uid)
        if variant == "signed_success_never_paid" and transaction.status == SETTLEMENT:
            return None
        base = dataclasses.replace(transaction, status=SETTLEMENT, settled_at=now)
        if variant == "signed_success_unknown_order":
            base = dataclasses.replace(base, order_id=f"{uid[:-4]}ZZZZ")
        body = build_notification(self.simulator.config, base)
        key = self.simulator.config.server_key
        signed = (body["order_id"], body["status_code"], body["gross_amount"])
        if variant == "bad_signature":
            body["signature_key"] = signature_key("forged", *signed[1:], key)
        elif variant == "other_merchant":
            body["signature_key"] = signature_key(*signed, "SB-Mid-server-another-merchant")
        elif variant == "changed_amount":
            amount = int(body["gross_amount"].split(".")[0]) + 1_000
            body["gross_amount"] = f"{amount}.00"
        return Forgery(body["order_id"], {"json": body})


async def post_forgery(client: httpx.AsyncClient, driver: GatewayDriver, forgery: Forgery) -> Any:
    return await client.post(driver.webhook_path, **forgery.post)
