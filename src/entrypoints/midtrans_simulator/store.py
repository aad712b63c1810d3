"""In-memory Midtrans transactions, with expiry applied on read."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from entrypoints.gateway_simulator.delivery import DeliveryAttempt

# Midtrans's own status words and the status_code each is reported with.
PENDING, SETTLEMENT, CANCEL, EXPIRE, DENY = "pending", "settlement", "cancel", "expire", "deny"
STATUS_CODES = {PENDING: "201", SETTLEMENT: "200", CANCEL: "200", EXPIRE: "407", DENY: "202"}


@dataclass(slots=True)
class Transaction:
    """One QRIS charge as Midtrans would remember it, plus what happened to it since."""

    order_id: str
    transaction_id: str
    gross_amount: int
    acquirer: str
    qr_string: str
    notification_url: str
    created_at: datetime
    expires_at: datetime
    status: str = PENDING
    fraud_status: str = "accept"
    settled_at: datetime | None = None
    paid_amount: int | None = None
    """What the payer paid; differs from `gross_amount` only when a test pays another."""
    deliveries: list[DeliveryAttempt] = field(default_factory=list)
    holding_callbacks: bool = False
    held_callbacks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reported_amount(self) -> str:
        """The amount answers and notifications carry: a string with decimals."""
        amount = self.paid_amount if self.paid_amount is not None else self.gross_amount
        return f"{amount}.00"


class TransactionStore:
    """Transactions by order_id and by transaction_id."""

    def __init__(self) -> None:
        self._by_order_id: dict[str, Transaction] = {}
        self._order_by_transaction: dict[str, str] = {}

    def add(self, transaction: Transaction) -> bool:
        """Remember a new transaction; False when its order_id was used already."""
        if transaction.order_id in self._by_order_id:
            return False
        self._by_order_id[transaction.order_id] = transaction
        self._order_by_transaction[transaction.transaction_id] = transaction.order_id
        return True

    def clear(self) -> None:
        self._by_order_id.clear()
        self._order_by_transaction.clear()

    def get(self, order_or_transaction_id: str, *, now: datetime) -> Transaction | None:
        """By order_id or transaction_id (Midtrans takes either), expired first when due."""
        order_id = self._order_by_transaction.get(order_or_transaction_id, order_or_transaction_id)
        transaction = self._by_order_id.get(order_id)
        expired = transaction is not None and now >= transaction.expires_at
        if transaction is not None and expired and transaction.status == PENDING:
            transaction.status = EXPIRE
        return transaction

    def all(self, *, now: datetime) -> list[Transaction]:
        return [t for key in list(self._by_order_id) if (t := self.get(key, now=now))]
