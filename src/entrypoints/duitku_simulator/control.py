"""What a test (or a developer) does in place of a real payer: pay, fail, expire, inspect,
and what the network between Duitku and the merchant may do to callbacks: hold them, then
release them late, duplicated or reordered, or drop them.

None of this exists on Duitku; it replaces the sandbox's "Demo Transaction Area" and the
payer's banking app (API.md §12).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entrypoints.duitku_simulator.callbacks import (
    PAID_RESULT_CODE,
    CallbackSender,
    Payer,
    build_callback_form,
)
from entrypoints.duitku_simulator.config import SimulatorConfig
from entrypoints.duitku_simulator.faults import FaultInjector
from entrypoints.duitku_simulator.identifiers import new_publisher_order_id
from entrypoints.duitku_simulator.store import (
    DeliveryAttempt,
    Transaction,
    TransactionState,
    TransactionStore,
)
from entrypoints.gateway_simulator import callback_hold
from entrypoints.gateway_simulator.delivery import deliveries_view, delivery_view
from entrypoints.gateway_simulator.errors import (
    InvalidControlRequest,
    NotPendingError,
    TransactionNotFoundError,
)

__all__ = [
    "ControlOutcome",
    "Controller",
    "InvalidControlRequest",
    "NotPendingError",
    "TransactionNotFoundError",
]


@dataclass(frozen=True, slots=True)
class ControlOutcome:
    """The transaction after a control action and the callback attempts it caused."""

    transaction: Transaction
    deliveries: list[DeliveryAttempt]


# What a release answers; a type only (a frozen generic dataclass is built unsubscripted).
ReleaseOutcome = callback_hold.ReleaseOutcome[Transaction, dict[str, str]]


class Controller:
    """Moves pending transactions to a final state and sends Duitku's callback for it."""

    def __init__(
        self,
        config: SimulatorConfig,
        store: TransactionStore,
        sender: CallbackSender,
        faults: FaultInjector,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._config = config
        self._store = store
        self._sender = sender
        self._faults = faults
        self._clock = clock

    def inspect(self, merchant_order_id: str) -> Transaction:
        """The transaction as it is now (expired if its time has passed)."""
        transaction = self._store.get(merchant_order_id, now=self._clock())
        if transaction is None:
            raise TransactionNotFoundError(merchant_order_id)
        return transaction

    def find_by_reference(self, reference: str) -> Transaction:
        """The transaction with this Duitku reference (for the payment page)."""
        transaction = self._store.get_by_reference(reference, now=self._clock())
        if transaction is None:
            raise TransactionNotFoundError(reference)
        return transaction

    def all(self) -> list[Transaction]:
        """Every transaction, oldest first."""
        return self._store.all(now=self._clock())

    async def pay(self, merchant_order_id: str, *, amount: int | None = None) -> ControlOutcome:
        """Mark paid and deliver the ``00`` callback.

        ``amount`` is what the payer paid, the transaction's own amount by default; another
        amount (which a dynamic QRIS never allows) lets a test see how a merchant handles a
        gateway that reports one. Callbacks and status answers then report it.
        """
        if amount is not None and (type(amount) is not int or amount <= 0):
            raise InvalidControlRequest("amount must be a positive integer")
        transaction = self._take_pending(merchant_order_id, TransactionState.PAID)
        transaction.paid_amount = amount
        transaction.settled_at = self._clock()
        transaction.publisher_order_id = new_publisher_order_id()
        payer = Payer(self._config.payer_issuer_code, self._config.payer_name)
        return await self._notify(transaction, PAID_RESULT_CODE, payer)

    async def fail(self, merchant_order_id: str) -> ControlOutcome:
        """Mark failed and deliver the failure callback (``01`` unless configured ``02``)."""
        transaction = self._take_pending(merchant_order_id, TransactionState.FAILED)
        return await self._notify(transaction, self._config.failed_result_code, None)

    def expire(self, merchant_order_id: str) -> ControlOutcome:
        """Expire now, without a callback: whether Duitku sends one is unknown (§7.3)."""
        transaction = self._take_pending(merchant_order_id, TransactionState.EXPIRED)
        return ControlOutcome(transaction, [])

    def callback_controls(self) -> callback_hold.CallbackControls[Transaction, dict[str, str]]:
        """Hold, release and drop this simulator's callbacks (see `callback_hold`)."""
        return callback_hold.CallbackControls(
            self.inspect, lambda transaction: transaction.callback_url, self._sender.deliver
        )

    def _take_pending(self, merchant_order_id: str, new_state: TransactionState) -> Transaction:
        transaction = self.inspect(merchant_order_id)
        if transaction.state is not TransactionState.PENDING:
            raise NotPendingError(transaction.state.value)
        # The state changes before any await, so a concurrent second action sees it.
        transaction.state = new_state
        return transaction

    async def _notify(
        self, transaction: Transaction, result_code: str, payer: Payer | None
    ) -> ControlOutcome:
        form = build_callback_form(
            transaction,
            result_code=result_code,
            api_key=self._config.api_key,
            scheme=self._config.callback_signature,
            payer=payer,
            wrong_signature=self._faults.settings.wrong_callback_signature,
        )
        deliveries = await callback_hold.send_or_hold(
            transaction, transaction.callback_url, form, self._sender.deliver
        )
        return ControlOutcome(transaction, deliveries)


def transaction_view(transaction: Transaction) -> dict[str, Any]:
    """JSON shape of a transaction for the control API (snake_case: not a Duitku body)."""
    return {
        "merchant_order_id": transaction.merchant_order_id,
        "reference": transaction.reference,
        "state": transaction.state.value,
        "amount": transaction.amount,
        "payment_method": transaction.payment_method,
        "callback_url": transaction.callback_url,
        "return_url": transaction.return_url,
        "payment_url": transaction.payment_url,
        "qr_string": transaction.qr_string,
        "created_at": transaction.created_at.isoformat(),
        "expires_at": transaction.expires_at.isoformat(),
        "settled_at": transaction.settled_at.isoformat() if transaction.settled_at else None,
        "publisher_order_id": transaction.publisher_order_id,
        "paid_amount": transaction.paid_amount,
        "callback_deliveries": [delivery_view(d) for d in transaction.deliveries],
    } | callback_hold.hold_view(transaction, held_view)


def held_view(index: int, form: dict[str, str]) -> dict[str, Any]:
    """JSON shape of a held callback: enough to choose an order, not the whole signed form."""
    return {"index": index, "result_code": form["resultCode"], "amount": form["amount"]}


def release_view(outcome: ReleaseOutcome) -> dict[str, Any]:
    """JSON shape of a release: each callback sent, in order, and what stays held."""
    transaction = outcome.transaction
    return {
        "merchant_order_id": transaction.merchant_order_id,
        "state": transaction.state.value,
        "released": callback_hold.released_view(outcome.released, held_view),
    } | callback_hold.hold_view(transaction, held_view)


def outcome_view(outcome: ControlOutcome) -> dict[str, Any]:
    """JSON shape of a control action's result: the new state and this run's deliveries."""
    return {
        "merchant_order_id": outcome.transaction.merchant_order_id,
        "reference": outcome.transaction.reference,
        "state": outcome.transaction.state.value,
        **deliveries_view(outcome.deliveries),
        "callbacks_held": len(outcome.transaction.held_callbacks),
    }
