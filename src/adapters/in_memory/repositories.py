"""Dict-backed repositories that stage writes until their unit of work commits."""

from collections.abc import Collection
from datetime import datetime, timedelta

from adapters.in_memory.copies import detached
from adapters.in_memory.order_listing import list_orders
from adapters.in_memory.store import Bookkeeping, InMemoryStore
from application.errors import ConcurrentUpdate
from application.inbox import (
    REJECTED_VERIFICATIONS,
    InboxEntry,
    InboxFilter,
    without_personal_data,
)
from application.reports import OrderFilter
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import OPEN_STATUSES, Payment, PaymentMethod, PaymentStatus


class _ReadOnly(RuntimeError):
    pass


def _writable(read_only: bool) -> None:
    if read_only:
        raise _ReadOnly("write in a read-only unit of work")


class LockOrderViolation(RuntimeError):
    """A transaction locked an order's row after one of its payments' rows."""


class RowLocks:
    """The rows one transaction has locked, checked against the one lock order of every write:
    an order's row before its payments' rows.

    The in-memory store serializes writers, so it can never deadlock; PostgreSQL can, when one
    transaction holds a payment and waits for its order while another holds the order and waits
    for the payment. Refusing the wrong order here lets a unit test find such a transaction.
    A locking read (`for_update`) and an update both lock a row, as they do on PostgreSQL.
    """

    def __init__(self) -> None:
        self._orders: set[int] = set()
        self._orders_of_payments: set[int] = set()

    def order(self, order_id: int) -> None:
        if order_id in self._orders:
            return
        if order_id in self._orders_of_payments:
            raise LockOrderViolation(
                f"order {order_id} locked after one of its payments: lock the order first"
            )
        self._orders.add(order_id)

    def payment_of(self, order_id: int) -> None:
        self._orders_of_payments.add(order_id)


class InMemoryMenuRepository:
    """Menu items; reads see this transaction's staged writes, then the committed store."""

    def __init__(self, store: InMemoryStore, *, read_only: bool) -> None:
        self._store = store
        self._read_only = read_only
        self.staged: dict[int, MenuItem] = {}

    def _visible(self) -> dict[int, MenuItem]:
        return {**self._store.menu, **self.staged}

    async def add(self, item: MenuItem) -> None:
        _writable(self._read_only)
        item.id = self._store.next_menu_id()
        self.staged[item.id] = detached(item)

    async def get(self, item_id: int) -> MenuItem | None:
        found = self._visible().get(item_id)
        return detached(found) if found else None

    async def get_many(self, item_ids: Collection[int]) -> dict[int, MenuItem]:
        visible = self._visible()
        return {i: detached(visible[i]) for i in item_ids if i in visible}

    async def list(self, *, available_only: bool = False) -> list[MenuItem]:
        items = sorted(self._visible().values(), key=lambda item: item.id or 0)
        return [detached(item) for item in items if item.available or not available_only]

    async def update(self, item: MenuItem) -> None:
        _writable(self._read_only)
        if item.id is None or item.id not in self._visible():
            raise ConcurrentUpdate(f"menu item {item.id} does not exist")
        self.staged[item.id] = detached(item)


class InMemoryOrderRepository:
    """Orders; `update` succeeds only on the version that was read (optimistic locking)."""

    def __init__(self, store: InMemoryStore, *, read_only: bool, locks: RowLocks) -> None:
        self._store = store
        self._read_only = read_only
        self._locks = locks
        self.staged: dict[int, Order] = {}
        # The same unit of work's attempts, for `get_with_payments` (set by the unit of work).
        self.payments: InMemoryPaymentRepository | None = None

    def _visible(self) -> dict[int, Order]:
        return {**self._store.orders, **self.staged}

    async def add(self, order: Order) -> None:
        _writable(self._read_only)
        order.assign_id(self._store.next_order_id())
        self.staged[order.key] = detached(order)

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        found = self._visible().get(order_id)
        if found and for_update:
            self._locks.order(order_id)
        return detached(found) if found else None

    async def get_with_payments(self, order_id: int) -> tuple[Order, list[Payment]] | None:
        if not self._read_only:
            raise RuntimeError("this read is for read-only units of work")
        found = self._visible().get(order_id)
        if found is None:
            return None
        if self.payments is None:
            raise RuntimeError("the unit of work did not give its payments to its orders")
        return detached(found), await self.payments.list_for_order(order_id)

    async def update(self, order: Order) -> None:
        _writable(self._read_only)
        self._locks.order(order.key)
        current = self._visible().get(order.key)
        if current is None or current.version != order.version:
            raise ConcurrentUpdate(f"order {order.id} changed since it was read")
        order.version += 1
        self.staged[order.key] = detached(order)

    async def list(self, where: OrderFilter | None = None, *, limit: int = 50) -> list[Order]:
        # The paying attempts as committed: the list is read in read-only units of work.
        store = self._store
        chosen = list_orders(
            self._visible().values(), store.payments, store.shifts, where or OrderFilter(), limit
        )
        return [detached(order) for order in chosen]


class InMemoryPaymentRepository:
    """Payment attempts; enforces the unique keys and the one-open-QRIS-attempt rule."""

    def __init__(
        self,
        store: InMemoryStore,
        *,
        read_only: bool,
        orders: InMemoryOrderRepository,
        locks: RowLocks,
    ) -> None:
        self._store = store
        self._read_only = read_only
        self._orders = orders
        self._locks = locks
        self.staged: dict[str, Payment] = {}
        self.staged_checks: dict[str, datetime] = {}
        self.staged_bookkeeping: dict[str, dict[str, object]] = {}

    def _visible(self) -> dict[str, Payment]:
        return {**self._store.payments, **self.staged}

    def _check_unique(self, payment: Payment) -> None:
        for other in self._visible().values():
            if other.attempt_id == payment.attempt_id:
                continue
            if payment.gateway_reference and other.gateway_reference == payment.gateway_reference:
                raise ConcurrentUpdate(f"gateway reference {payment.gateway_reference} is taken")
            if (
                payment.method is PaymentMethod.QRIS
                and payment.status in OPEN_STATUSES
                and other.method is PaymentMethod.QRIS
                and other.status in OPEN_STATUSES
                and other.order_id == payment.order_id
            ):
                raise ConcurrentUpdate(f"order {payment.order_id} already has an open attempt")

    async def add(self, payment: Payment) -> None:
        _writable(self._read_only)
        if payment.attempt_id in self._visible():
            raise ConcurrentUpdate(f"order_uid {payment.attempt_id} is taken")
        if await self._orders.get(payment.order_id) is None:
            raise ConcurrentUpdate(f"order {payment.order_id} does not exist")
        self._check_unique(payment)
        self.staged[payment.attempt_id] = detached(payment)

    async def get(self, attempt_id: str, *, for_update: bool = False) -> Payment | None:
        found = self._visible().get(attempt_id)
        if found and for_update:
            self._locks.payment_of(found.order_id)
        return detached(found) if found else None

    async def lock_with_order(self, attempt_id: str) -> tuple[Order, Payment] | None:
        seen = self._visible().get(attempt_id)
        if seen is None:
            return None
        order = await self._orders.get(seen.order_id, for_update=True)
        payment = await self.get(attempt_id, for_update=True)
        if order is None or payment is None:
            return None
        return order, payment

    async def update_with_order(self, payment: Payment, order: Order) -> None:
        await self.update(payment)
        await self._orders.update(order)

    async def update(self, payment: Payment) -> None:
        _writable(self._read_only)
        current = self._visible().get(payment.attempt_id)
        if current is None or current.version != payment.version:
            raise ConcurrentUpdate(f"payment {payment.attempt_id} changed since it was read")
        self._locks.payment_of(payment.order_id)
        self._check_unique(payment)
        payment.version += 1
        self.staged[payment.attempt_id] = detached(payment)

    async def list_for_order(self, order_id: int) -> list[Payment]:
        found = [p for p in self._visible().values() if p.order_id == order_id]
        return [detached(p) for p in sorted(found, key=lambda p: p.created_at)]

    async def find_open_qris(self, order_id: int) -> Payment | None:
        for payment in self._visible().values():
            if (
                payment.order_id == order_id
                and payment.method is PaymentMethod.QRIS
                and payment.status in OPEN_STATUSES
            ):
                return detached(payment)
        return None

    async def list_stale_creating(self, *, created_before: datetime, limit: int) -> list[Payment]:
        found = [
            p
            for p in self._visible().values()
            if p.status is PaymentStatus.CREATING and p.created_at < created_before
        ]
        found.sort(key=lambda p: p.created_at)
        return [detached(p) for p in found[:limit]]

    async def list_refunds(self, *, open_only: bool = True, limit: int = 100) -> list[Payment]:
        found = [
            p
            for p in self._visible().values()
            if p.refund_required_at is not None and (p.refund_open or not open_only)
        ]
        found.sort(key=lambda p: p.refund_required_at or p.created_at, reverse=True)
        return [detached(p) for p in found[:limit]]

    async def claim_status_check(
        self, attempt_id: str, *, now: datetime, min_interval: timedelta
    ) -> bool:
        _writable(self._read_only)
        attempt = self._visible().get(attempt_id)
        if attempt is None:
            return False
        self._locks.payment_of(attempt.order_id)  # an UPDATE of the row, as in SQL
        last = self.staged_checks.get(attempt_id) or self._store.status_checked_at.get(attempt_id)
        if last is not None and now - last < min_interval:
            return False
        self.staged_checks[attempt_id] = now
        return True

    def _bookkeeping(self, attempt_id: str) -> Bookkeeping:
        """The attempt's bookkeeping as this transaction sees it (committed + staged)."""
        seen = detached(self._store.bookkeeping.get(attempt_id) or Bookkeeping())
        for name, value in self.staged_bookkeeping.get(attempt_id, {}).items():
            setattr(seen, name, value)
        return seen

    def _stage_bookkeeping(self, attempt_id: str, **changes: object) -> None:
        # Only the columns written are staged, so a lease the queue takes meanwhile survives.
        self.staged_bookkeeping.setdefault(attempt_id, {}).update(changes)

    async def flag_for_review(
        self, attempt_id: str, *, reason: str, now: datetime, next_check_at: datetime | None
    ) -> None:
        _writable(self._read_only)
        if attempt_id not in self._visible():
            return
        self._stage_bookkeeping(
            attempt_id,
            review_required_at=now,
            review_reason=reason,
            review_resolved_at=None,
            review_resolved_by=None,
            review_note=None,
            next_check_at=next_check_at,
        )

    async def resolve_review(self, attempt_id: str, *, by: str, note: str, now: datetime) -> bool:
        _writable(self._read_only)
        if attempt_id not in self._visible() or not self._bookkeeping(attempt_id).review_open:
            return False
        self._stage_bookkeeping(
            attempt_id,
            review_resolved_at=now,
            review_resolved_by=by,
            review_note=note,
            rejected_check_count=0,
        )
        return True


class InMemoryNotificationInbox:
    """Stored notifications by id."""

    def __init__(
        self,
        store: InMemoryStore,
        *,
        read_only: bool,
        payments: InMemoryPaymentRepository | None = None,
    ) -> None:
        self._store = store
        self._read_only = read_only
        self._payments = payments  # whose status-check budget `store_claiming_status_check` takes
        self.staged: dict[int, InboxEntry] = {}
        self.deleted: set[int] = set()

    def _visible(self) -> dict[int, InboxEntry]:
        visible = {**self._store.inbox, **self.staged}
        for entry_id in self.deleted:
            visible.pop(entry_id, None)
        return visible

    async def add(self, entry: InboxEntry) -> None:
        _writable(self._read_only)
        entry.id = self._store.next_inbox_id()
        self.staged[entry.id] = detached(entry)

    async def update(self, entry: InboxEntry) -> None:
        _writable(self._read_only)
        if entry.key not in self._visible():
            raise ConcurrentUpdate(f"inbox entry {entry.id} does not exist")
        self.staged[entry.key] = detached(entry)

    async def store_claiming_status_check(
        self, entry: InboxEntry, *, attempt_id: str, now: datetime, min_interval: timedelta
    ) -> bool:
        if self._payments is None:
            raise RuntimeError("this inbox was made without the payments it claims checks of")
        won = await self._payments.claim_status_check(
            attempt_id, now=now, min_interval=min_interval
        )
        if won:
            entry.outcome = entry.processed_at = None
        if entry.id is None:
            await self.add(entry)
        else:
            await self.update(entry)
        return won

    async def get(self, entry_id: int) -> InboxEntry | None:
        found = self._visible().get(entry_id)
        return detached(found) if found else None

    async def list(self, where: InboxFilter) -> list[InboxEntry]:
        chosen = [
            entry
            for entry_id, entry in sorted(self._visible().items(), reverse=True)
            if _matches(entry, where) and (where.before_id is None or entry_id < where.before_id)
        ]
        return [detached(entry) for entry in chosen[: where.limit]]

    async def remove_personal_data(
        self,
        *,
        received_before: datetime,
        personal_fields: Collection[str],
        now: datetime,
        limit: int,
    ) -> int:
        _writable(self._read_only)
        count = 0
        for _, entry in sorted(self._visible().items()):
            if count >= limit:
                break
            if entry.received_at < received_before and entry.personal_data_removed_at is None:
                cleaned = detached(entry)
                cleaned.fields = without_personal_data(cleaned.fields, personal_fields)
                cleaned.personal_data_removed_at = now
                self.staged[cleaned.key] = cleaned
                count += 1
        return count

    async def delete_rejected(self, *, received_before: datetime, limit: int) -> int:
        _writable(self._read_only)
        doomed = [
            entry_id
            for entry_id, entry in sorted(self._visible().items())
            if entry.verification in REJECTED_VERIFICATIONS and entry.received_at < received_before
        ][:limit]
        for entry_id in doomed:
            self.staged.pop(entry_id, None)
            self.deleted.add(entry_id)
        return len(doomed)


def _matches(entry: InboxEntry, where: InboxFilter) -> bool:
    return (
        (where.attempt_id is None or entry.attempt_id == where.attempt_id)
        and (where.outcome is None or entry.outcome == where.outcome)
        and (where.verification is None or entry.verification is where.verification)
        and (where.needs_review is None or entry.needs_review is where.needs_review)
        and (where.received_from is None or entry.received_at >= where.received_from)
        and (where.received_until is None or entry.received_at < where.received_until)
    )
