"""The committed state the in-memory repositories share, and the writer lock over it."""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from application.inbox import InboxEntry
from application.outbox import OutboxEvent
from application.staff_access import StaffSession, ThrottleKey
from domain.audit import AuditEntry
from domain.login_throttle import FailedLogins
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment
from domain.refunds import Refund
from domain.shifts import CashMovement, Shift
from domain.staff import StaffAccount


@dataclass(slots=True)
class Bookkeeping:
    """The reconciliation columns of one attempt (leases, schedule, review), as in SQL."""

    lease_owner: str | None = None
    lease_until: datetime | None = None
    next_check_at: datetime | None = None
    check_count: int = 0
    rejected_check_count: int = 0
    review_required_at: datetime | None = None
    review_reason: str | None = None
    review_resolved_at: datetime | None = None
    review_resolved_by: str | None = None
    review_note: str | None = None

    @property
    def review_open(self) -> bool:
        return self.review_required_at is not None and self.review_resolved_at is None


@dataclass(slots=True)
class InMemoryStore:
    """Committed rows by key. One writer at a time, as with BEGIN IMMEDIATE on SQLite."""

    menu: dict[int, MenuItem] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    inbox: dict[int, InboxEntry] = field(default_factory=dict)
    status_checked_at: dict[str, datetime] = field(default_factory=dict)
    bookkeeping: dict[str, Bookkeeping] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    outbox: list[OutboxEvent] = field(default_factory=list)
    staff: dict[int, StaffAccount] = field(default_factory=dict)
    staff_sessions: dict[str, StaffSession] = field(default_factory=dict)
    login_failures: dict[ThrottleKey, tuple[FailedLogins, datetime]] = field(default_factory=dict)
    last_staff_id: int = 0
    shifts: dict[int, Shift] = field(default_factory=dict)
    movements: list[CashMovement] = field(default_factory=list)
    refunds: dict[int, Refund] = field(default_factory=dict)
    last_ids: dict[str, int] = field(default_factory=dict)
    last_inbox_id: int = 0
    last_menu_id: int = 0
    last_order_id: int = 0
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def next_menu_id(self) -> int:
        # Like a database sequence: an id taken by a rolled-back insert is not given again.
        self.last_menu_id += 1
        return self.last_menu_id

    def next_staff_id(self) -> int:
        self.last_staff_id += 1
        return self.last_staff_id

    def next_inbox_id(self) -> int:
        self.last_inbox_id += 1
        return self.last_inbox_id

    def next_id(self, table: str) -> int:
        """The next id of `table`, like a database sequence (never given twice)."""
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]

    def next_order_id(self) -> int:
        self.last_order_id += 1
        return self.last_order_id
