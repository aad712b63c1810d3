"""Driven ports: what the use cases need from storage, time, ids and event delivery.

Repositories hand out copies that the caller changes and then passes to `update`, which is a
conditional write: it fails with ConcurrentUpdate when another transaction changed the row
since it was read. All repository calls must run inside an entered unit of work.
"""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from application.inbox import InboxEntry, InboxFilter
from domain.events import DomainEvent
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import Payment


class MenuRepository(Protocol):
    """Menu items by id."""

    async def add(self, item: MenuItem) -> None:
        """Store a new item and set its `id`."""
        ...

    async def get(self, item_id: int) -> MenuItem | None: ...

    async def get_many(self, item_ids: Collection[int]) -> dict[int, MenuItem]: ...

    async def list(self, *, available_only: bool = False) -> list[MenuItem]:
        """All items (or only available ones), by id."""
        ...

    async def update(self, item: MenuItem) -> None: ...


class OrderRepository(Protocol):
    """Orders by their sequential id."""

    async def add(self, order: Order) -> None:
        """Store a new order and give it its id (`Order.assign_id`)."""
        ...

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        """`for_update` locks the row until the transaction ends where the database can."""
        ...

    async def update(self, order: Order) -> None:
        """Write the order if nobody changed it since it was read; else raise ConcurrentUpdate."""
        ...

    async def list(
        self, *, status: OrderStatus | None = None, before_id: int | None = None, limit: int = 50
    ) -> list[Order]:
        """Newest first; `before_id` continues a previous page."""
        ...


class PaymentRepository(Protocol):
    """Payment attempts by their unique `order_uid`."""

    async def add(self, payment: Payment) -> None:
        """Store a new attempt. A second open QRIS attempt for one order raises ConcurrentUpdate."""
        ...

    async def get(self, order_uid: str, *, for_update: bool = False) -> Payment | None: ...

    async def update(self, payment: Payment) -> None:
        """Write the attempt if nobody changed it since it was read; else raise ConcurrentUpdate."""
        ...

    async def list_for_order(self, order_id: int) -> list[Payment]:
        """Every attempt of one order, oldest first."""
        ...

    async def find_open_qris(self, order_id: int) -> Payment | None:
        """The order's open (creating or pending) QRIS attempt; there is at most one."""
        ...

    async def list_overdue(self, *, now: datetime, limit: int) -> list[Payment]:
        """Pending attempts whose expiry has passed, the longest overdue first."""
        ...

    async def list_stale_creating(self, *, created_before: datetime, limit: int) -> list[Payment]:
        """Attempts still `creating` that were recorded before `created_before`, oldest first."""
        ...

    async def list_refunds(self, *, open_only: bool = True, limit: int = 100) -> list[Payment]:
        """Successes that must be paid back (open ones, or all ever flagged), newest first."""
        ...

    async def claim_status_check(
        self, order_uid: str, *, now: datetime, min_interval: timedelta
    ) -> bool:
        """Take the right to ask the gateway about `order_uid` now.

        True at most once per `min_interval` per attempt, across every process sharing the
        database (Duitku blocks merchants that poll transactionStatus). False for an unknown
        attempt. A conditional update, so two racing callers cannot both win.
        """
        ...


class NotificationInbox(Protocol):
    """Stored gateway notifications (see application.inbox)."""

    async def add(self, entry: InboxEntry) -> None:
        """Store a new entry and set its `id`."""
        ...

    async def update(self, entry: InboxEntry) -> None: ...

    async def get(self, entry_id: int) -> InboxEntry | None: ...

    async def list(self, where: InboxFilter) -> list[InboxEntry]:
        """Entries matching `where`, newest first."""
        ...

    async def remove_personal_data(
        self, *, received_before: datetime, personal_fields: Collection[str], now: datetime
    ) -> int:
        """Blank the personal fields of entries received before the cut-off; returns how many."""
        ...


class UnitOfWork(Protocol):
    """One database transaction. Rolls back on exit unless `commit` was called.

    A write unit of work takes the write lock when it starts (BEGIN IMMEDIATE on SQLite), so a
    read-decide-write sequence inside it cannot interleave with another writer's.
    """

    @property
    def menu(self) -> MenuRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def payments(self) -> PaymentRepository: ...

    @property
    def inbox(self) -> NotificationInbox: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per transaction; `read_only` skips the write lock."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


class Clock(Protocol):
    """The current time, timezone-aware UTC. A port so tests can set it."""

    def now(self) -> datetime: ...


class ReferenceGenerator(Protocol):
    """Unguessable identifiers: merchant order ids sent to the gateway, order access tokens."""

    def new_order_uid(self) -> str:
        """A fresh merchant order id, at most 50 characters, never returned twice."""
        ...

    def new_access_token(self) -> str:
        """A secret token that lets one customer read and pay one order."""
        ...


class EventPublisher(Protocol):
    """Delivers domain events after their transaction committed (logs, metrics, webhooks)."""

    async def publish(self, events: Sequence[DomainEvent]) -> None: ...
