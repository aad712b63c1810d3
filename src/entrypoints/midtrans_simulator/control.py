"""What a test (or a developer) does in place of a payer, and what the network may do to
notifications: pay, fail, expire, inspect; hold, release (late, duplicated, reordered), drop."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.gateway_simulator import callback_hold
from entrypoints.gateway_simulator.delivery import DeliveryAttempt, deliveries_view, delivery_view
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


# What a release answers; a type only (a frozen generic dataclass is built unsubscripted).
ReleaseOutcome = callback_hold.ReleaseOutcome[Transaction, dict[str, Any]]


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

    def callback_controls(self) -> callback_hold.CallbackControls[Transaction, dict[str, Any]]:
        """Hold, release and drop this simulator's callbacks (see `callback_hold`)."""
        return callback_hold.CallbackControls(
            self.inspect, lambda transaction: transaction.notification_url, self._sender.deliver
        )

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
        deliveries = await callback_hold.send_or_hold(
            transaction, transaction.notification_url, body, self._sender.deliver
        )
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
    } | callback_hold.hold_view(transaction, _held)


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
        **deliveries_view(outcome.deliveries),
        "callbacks_held": len(transaction.held_callbacks),
    }


def release_view(outcome: ReleaseOutcome) -> dict[str, Any]:
    transaction = outcome.transaction
    return {
        "order_id": transaction.order_id,
        "state": _state(transaction),
        "released": callback_hold.released_view(outcome.released, _held),
    } | callback_hold.hold_view(transaction, _held)
