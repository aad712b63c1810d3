"""What a test (or a developer) does in place of a payer, and what the network may do to
notifications: pay, fail, expire, inspect; hold, release (late, duplicated, reordered), drop."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entrypoints.duitku_simulator.control import delivery_view
from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.duitku_simulator.store import DeliveryAttempt
from entrypoints.gateway_simulator.errors import (
    InvalidControlRequest,
    NotPendingError,
    TransactionNotFoundError,
)
from entrypoints.midtrans_simulator.config import MidtransSimulatorConfig
from entrypoints.midtrans_simulator.notifications import NotificationSender, build_notification
from entrypoints.midtrans_simulator.store import (
    DENY,
    EXPIRE,
    PENDING,
    SETTLEMENT,
    Transaction,
    TransactionStore,
)

__all__ = [
    "Controller",
    "InvalidControlRequest",
    "MidtransOutcome",
    "NotPendingError",
    "TransactionNotFoundError",
]


@dataclass(frozen=True, slots=True)
class ReleasedNotification:
    """One held notification sent on release: its index when held, and how it went."""

    index: int
    transaction_status: str
    gross_amount: str
    deliveries: list[DeliveryAttempt]


@dataclass(frozen=True, slots=True)
class ReleaseOutcome:
    transaction: Transaction
    released: list[ReleasedNotification]


@dataclass(frozen=True, slots=True)
class MidtransOutcome:
    """The transaction after a control action and the notification attempts it caused."""

    transaction: Transaction
    deliveries: list[DeliveryAttempt]


class Controller:
    """Moves pending transactions to a final state and notifies kasir of it."""

    def __init__(
        self,
        config: MidtransSimulatorConfig,
        store: TransactionStore,
        sender: NotificationSender,
        faults: FaultInjector,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._config = config
        self._store = store
        self._sender = sender
        self._faults = faults
        self._clock = clock

    def inspect(self, order_id: str) -> Transaction:
        transaction = self._store.get(order_id, now=self._clock())
        if transaction is None:
            raise TransactionNotFoundError(order_id)
        return transaction

    def all(self) -> list[Transaction]:
        return self._store.all(now=self._clock())

    async def pay(self, order_id: str, *, amount: int | None = None) -> MidtransOutcome:
        """Settle and notify; `amount` lets a test report another amount paid."""
        if amount is not None and (type(amount) is not int or amount <= 0):
            raise InvalidControlRequest("amount must be a positive integer")
        transaction = self._take_pending(order_id, SETTLEMENT)
        transaction.paid_amount = amount
        transaction.settled_at = self._clock()
        return await self._notify(transaction)

    async def fail(self, order_id: str) -> MidtransOutcome:
        """Deny (the issuer refused the payment) and notify."""
        return await self._notify(self._take_pending(order_id, DENY))

    async def expire(self, order_id: str) -> MidtransOutcome:
        """Expire now and notify: Midtrans sends `expire` notifications."""
        return await self._notify(self._take_pending(order_id, EXPIRE))

    def hold_callbacks(self, order_id: str) -> Transaction:
        transaction = self.inspect(order_id)
        transaction.holding_callbacks = True
        return transaction

    async def release_callbacks(
        self, order_id: str, *, order: list[int] | None = None, keep_holding: bool = False
    ) -> ReleaseOutcome:
        """Send held notifications, all in order or those at `order`'s indices in that order
        (a repeated index sends a duplicate)."""
        transaction = self.inspect(order_id)
        held = list(transaction.held_callbacks)
        indices = list(range(len(held))) if order is None else order
        if any(type(i) is not int or not 0 <= i < len(held) for i in indices):
            raise InvalidControlRequest(
                f"order must list indices of the {len(held)} held callbacks"
            )
        transaction.held_callbacks = [body for i, body in enumerate(held) if i not in indices]
        transaction.holding_callbacks = keep_holding
        released: list[ReleasedNotification] = []
        for index in indices:
            body = held[index]
            deliveries = await self._sender.deliver(transaction.notification_url, body)
            transaction.deliveries.extend(deliveries)
            released.append(
                ReleasedNotification(
                    index, body["transaction_status"], body["gross_amount"], deliveries
                )
            )
        return ReleaseOutcome(transaction, released)

    def drop_callbacks(self, order_id: str, *, keep_holding: bool = False) -> Transaction:
        transaction = self.inspect(order_id)
        transaction.held_callbacks = []
        transaction.holding_callbacks = keep_holding
        return transaction

    def _take_pending(self, order_id: str, new_status: str) -> Transaction:
        transaction = self.inspect(order_id)
        if transaction.status != PENDING:
            raise NotPendingError(transaction.status)
        transaction.status = new_status  # before any await: a concurrent action sees it
        return transaction

    async def _notify(self, transaction: Transaction) -> MidtransOutcome:
        body = build_notification(
            self._config,
            transaction,
            wrong_signature=self._faults.settings.wrong_callback_signature,
        )
        if transaction.holding_callbacks:
            transaction.held_callbacks.append(body)
            return MidtransOutcome(transaction, [])
        deliveries = await self._sender.deliver(transaction.notification_url, body)
        transaction.deliveries.extend(deliveries)
        return MidtransOutcome(transaction, deliveries)


def _state(transaction: Transaction) -> str:
    """The control API's state words, as the Duitku simulator's (so tests drive both alike)."""
    return {PENDING: "pending", SETTLEMENT: "paid", EXPIRE: "expired"}.get(
        transaction.status, "failed"
    )


def transaction_view(transaction: Transaction) -> dict[str, Any]:
    return {
        "order_id": transaction.order_id,
        "transaction_id": transaction.transaction_id,
        "state": _state(transaction),
        "transaction_status": transaction.status,
        "gross_amount": transaction.gross_amount,
        "paid_amount": transaction.paid_amount,
        "acquirer": transaction.acquirer,
        "notification_url": transaction.notification_url,
        "qr_string": transaction.qr_string,
        "created_at": transaction.created_at.isoformat(),
        "expires_at": transaction.expires_at.isoformat(),
        "settled_at": transaction.settled_at.isoformat() if transaction.settled_at else None,
        "callback_deliveries": [delivery_view(d) for d in transaction.deliveries],
        "holding_callbacks": transaction.holding_callbacks,
        "held_callbacks": [_held(i, body) for i, body in enumerate(transaction.held_callbacks)],
    }


def _held(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": index,
        "transaction_status": body["transaction_status"],
        "gross_amount": body["gross_amount"],
    }


def outcome_view(outcome: MidtransOutcome) -> dict[str, Any]:
    transaction = outcome.transaction
    return {
        "order_id": transaction.order_id,
        "transaction_id": transaction.transaction_id,
        "state": _state(transaction),
        "transaction_status": transaction.status,
        "callback_deliveries": [delivery_view(d) for d in outcome.deliveries],
        "callback_delivered": any(200 <= (d.status_code or 0) < 300 for d in outcome.deliveries),
        "callbacks_held": len(transaction.held_callbacks),
    }


def release_view(outcome: ReleaseOutcome) -> dict[str, Any]:
    transaction = outcome.transaction
    return {
        "order_id": transaction.order_id,
        "state": _state(transaction),
        "released": [
            {
                "index": item.index,
                "transaction_status": item.transaction_status,
                "gross_amount": item.gross_amount,
                "callback_deliveries": [delivery_view(d) for d in item.deliveries],
                "callback_delivered": any(
                    200 <= (d.status_code or 0) < 300 for d in item.deliveries
                ),
            }
            for item in outcome.released
        ],
        "holding_callbacks": transaction.holding_callbacks,
        "held_callbacks": [_held(i, body) for i, body in enumerate(transaction.held_callbacks)],
    }
