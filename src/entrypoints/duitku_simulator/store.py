"""In-memory transactions of the simulator.

The simulator is a test double, so state lives in a dict and dies with the process; there
is no persistence to keep in sync with anything.
"""

import enum
from dataclasses import dataclass, field
from datetime import datetime

from entrypoints.gateway_simulator.delivery import DeliveryAttempt

# DeliveryAttempt is re-exported: callers (and tests) know it as part of a transaction.
__all__ = ["DeliveryAttempt", "Transaction", "TransactionState", "TransactionStore"]


class TransactionState(enum.StrEnum):
    """Lifecycle of a simulated payment; only ``pending`` may change."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(slots=True)
class Transaction:
    """One inquiry as Duitku would remember it, plus what happened to it since."""

    merchant_code: str
    merchant_order_id: str
    reference: str
    amount: int
    payment_method: str
    product_details: str
    email: str
    customer_va_name: str
    phone_number: str
    callback_url: str
    return_url: str
    additional_param: str
    merchant_user_info: str
    qr_string: str
    payment_url: str
    created_at: datetime
    expires_at: datetime
    state: TransactionState = TransactionState.PENDING
    publisher_order_id: str = ""
    settled_at: datetime | None = None
    paid_amount: int | None = None
    """What the payer paid; differs from ``amount`` only when a test pays another amount."""
    deliveries: list[DeliveryAttempt] = field(default_factory=list)
    holding_callbacks: bool = False
    """While set, callbacks are kept in ``held_callbacks`` instead of being sent."""
    held_callbacks: list[dict[str, str]] = field(default_factory=list)

    @property
    def reported_amount(self) -> int:
        """The amount callbacks and status answers report: the one paid, once paid."""
        return self.paid_amount if self.paid_amount is not None else self.amount


class DuplicateOrderError(Exception):
    """The merchantOrderId was already used for an inquiry."""


class TransactionStore:
    """Transactions by merchantOrderId and by reference, with lazy expiry."""

    def __init__(self) -> None:
        self._by_order_id: dict[str, Transaction] = {}
        self._order_id_by_reference: dict[str, str] = {}

    def add(self, transaction: Transaction) -> None:
        """Remember a new transaction; raises DuplicateOrderError for a reused order id."""
        if transaction.merchant_order_id in self._by_order_id:
            raise DuplicateOrderError(transaction.merchant_order_id)
        self._by_order_id[transaction.merchant_order_id] = transaction
        self._order_id_by_reference[transaction.reference] = transaction.merchant_order_id

    def clear(self) -> None:
        """Forget every transaction (a fresh start for a test reusing one simulator)."""
        self._by_order_id.clear()
        self._order_id_by_reference.clear()

    def has_reference(self, reference: str) -> bool:
        """Whether a reference is already taken (references must be unique)."""
        return reference in self._order_id_by_reference

    def get(self, merchant_order_id: str, *, now: datetime) -> Transaction | None:
        """The transaction for an order id, expired first if its time has passed."""
        transaction = self._by_order_id.get(merchant_order_id)
        if transaction is not None:
            self._expire_if_due(transaction, now)
        return transaction

    def get_by_reference(self, reference: str, *, now: datetime) -> Transaction | None:
        """The transaction for a Duitku reference, expired first if its time has passed."""
        order_id = self._order_id_by_reference.get(reference)
        return None if order_id is None else self.get(order_id, now=now)

    def all(self, *, now: datetime) -> list[Transaction]:
        """Every transaction in creation order."""
        transactions = list(self._by_order_id.values())
        for transaction in transactions:
            self._expire_if_due(transaction, now)
        return transactions

    @staticmethod
    def _expire_if_due(transaction: Transaction, now: datetime) -> None:
        # Expiry is applied on read instead of by a timer: nothing can observe the
        # difference, and there is no background task to cancel when mounted.
        if transaction.state is TransactionState.PENDING and now >= transaction.expires_at:
            transaction.state = TransactionState.EXPIRED
