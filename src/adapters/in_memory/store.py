"""The committed state the in-memory repositories share, and the writer lock over it."""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from application.inbox import InboxEntry
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment


@dataclass(slots=True)
class InMemoryStore:
    """Committed rows by key. One writer at a time, as with BEGIN IMMEDIATE on SQLite."""

    menu: dict[int, MenuItem] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    inbox: dict[int, InboxEntry] = field(default_factory=dict)
    status_checked_at: dict[str, datetime] = field(default_factory=dict)
    last_inbox_id: int = 0
    last_menu_id: int = 0
    last_order_id: int = 0
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def next_menu_id(self) -> int:
        # Like a database sequence: an id taken by a rolled-back insert is not given again.
        self.last_menu_id += 1
        return self.last_menu_id

    def next_inbox_id(self) -> int:
        self.last_inbox_id += 1
        return self.last_inbox_id

    def next_order_id(self) -> int:
        self.last_order_id += 1
        return self.last_order_id
