"""Driven ports: what the use cases need from storage, time, ids and event delivery.

Repositories hand out copies that the caller changes and then passes to `update`, which is a
conditional write: it fails with ConcurrentUpdate when another transaction changed the row
since it was read. All repository calls must run inside an entered unit of work.
"""

import builtins
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from application.audit import AuditQuery
from application.idempotency import IdempotencyRecord, StoredResponse
from application.inbox import InboxEntry, InboxFilter
from application.outbox import OutboxWriter
from application.reconciliation_schedule import ReviewItem, ScheduledCheck
from application.reports import DayTotals, OrderFilter
from application.staff_access import StaffSession, ThrottleKey
from domain.audit import AuditEntry, AuditRecord
from domain.events import DomainEvent
from domain.login_throttle import FailedLogins
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment
from domain.refunds import Refund, RefundStatus
from domain.shifts import CashMovement, Shift
from domain.staff import StaffAccount


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

    async def get_with_payments(self, order_id: int) -> tuple[Order, list[Payment]] | None:
        """The order and every attempt of it, oldest first, in one read where the database
        can (the order as its customer sees it). For showing, in a read-only unit of work: no
        row is locked, and no attempt read here may be updated."""
        ...

    async def list(self, where: OrderFilter | None = None, *, limit: int = 50) -> list[Order]:
        """Orders matching `where`, newest first: by (placed_at, id) descending, a total
        order, so `where.after` (the last order of a previous page) continues it without
        skipping or repeating an order."""
        ...


class PaymentRepository(Protocol):
    """Payment attempts by their unique `attempt_id`."""

    async def add(self, payment: Payment) -> None:
        """Store a new attempt. A second open QRIS attempt for one order raises ConcurrentUpdate."""
        ...

    async def get(self, attempt_id: str, *, for_update: bool = False) -> Payment | None: ...

    async def lock_with_order(self, attempt_id: str) -> tuple[Order, Payment] | None:
        """The attempt and its order, read under their locks: the order's first, then the
        attempt's (the one lock order of every write, so no deadlock). None for an unknown
        attempt. One read where the adapter can (the SQL adapter joins them), because it is on
        every paying callback."""
        ...

    async def update(self, payment: Payment) -> None:
        """Write the attempt if nobody changed it since it was read; else raise ConcurrentUpdate."""
        ...

    async def update_with_order(self, payment: Payment, order: Order) -> None:
        """`update` the attempt, then its order as OrderRepository.update does (each only if
        nobody changed it since it was read; else ConcurrentUpdate, and the caller rolls back).
        One statement where the database allows (PostgreSQL): it is how a payment pays."""
        ...

    async def list_for_order(self, order_id: int) -> list[Payment]:
        """Every attempt of one order, oldest first."""
        ...

    async def find_open_qris(self, order_id: int) -> Payment | None:
        """The order's open (creating or pending) QRIS attempt; there is at most one."""
        ...

    async def list_stale_creating(self, *, created_before: datetime, limit: int) -> list[Payment]:
        """Attempts still `creating` that were recorded before `created_before`, oldest first."""
        ...

    async def list_refunds(self, *, open_only: bool = True, limit: int = 100) -> list[Payment]:
        """Successes that must be paid back (open ones, or all ever flagged), newest first."""
        ...

    async def claim_status_check(
        self, attempt_id: str, *, now: datetime, min_interval: timedelta
    ) -> bool:
        """Take the right to ask the gateway about `attempt_id` now.

        True at most once per `min_interval` per attempt, across every process sharing the
        database (Duitku blocks merchants that poll transactionStatus). False for an unknown
        attempt. A conditional update, so two racing callers cannot both win.
        """
        ...

    async def flag_for_review(
        self, attempt_id: str, *, reason: str, now: datetime, next_check_at: datetime | None
    ) -> None:
        """Hand the attempt to staff with `reason` (a new flag reopens a resolved review) and
        set its next scheduled status check (None: none). Like `claim_status_check`, it writes
        only the reconciliation bookkeeping, never the attempt's version or status."""
        ...

    async def resolve_review(self, attempt_id: str, *, by: str, note: str, now: datetime) -> bool:
        """Record that staff member `by` dismissed or resolved the attempt's open review, and
        count its refused status checks from zero again. False when no review is open."""
        ...


class ShiftRepository(Protocol):
    """Cash drawer shifts by id, and their paid-ins and paid-outs.

    A shift's running totals change only through `update`, a conditional write on the version
    read and on the shift being open: a closed shift's row is never written again (the SQL
    schema also refuses it), so a cash payment racing a close either lands before the close
    (and is counted in it) or fails and is retried against the closed shift (refused).
    """

    async def add(self, shift: Shift) -> None:
        """Store a new open shift and give it its id (`Shift.assign_id`). A second open shift
        of one staff member raises ConcurrentUpdate (a partial unique index in SQL)."""
        ...

    async def get(self, shift_id: int, *, for_update: bool = False) -> Shift | None: ...

    async def find_open(self, staff_id: str, *, for_update: bool = False) -> Shift | None:
        """The staff member's open shift; there is at most one."""
        ...

    async def update(self, shift: Shift) -> None:
        """Write the shift if nobody changed it since it was read and it was open when read;
        else raise ConcurrentUpdate."""
        ...

    async def add_movement(self, movement: CashMovement) -> CashMovement:
        """Store a paid-in or paid-out; returns it with its id."""
        ...

    async def list_movements(self, shift_id: int) -> list[CashMovement]:
        """The shift's paid-ins and paid-outs, oldest first."""
        ...


class RefundRepository(Protocol):
    """Refund requests by id (domain.refunds)."""

    async def add(self, refund: Refund) -> None:
        """Store a new request and give it its id (`Refund.assign_id`). A second request for
        one flagged payment raises ConcurrentUpdate (a partial unique index in SQL)."""
        ...

    async def get(self, refund_id: int, *, for_update: bool = False) -> Refund | None: ...

    async def update(self, refund: Refund) -> None:
        """Write the refund if nobody changed it since it was read; else ConcurrentUpdate."""
        ...

    async def list_for_order(self, order_id: int) -> list[Refund]:
        """Every refund of one order, oldest first."""
        ...

    async def find_flagged(self, payment_uid: str) -> Refund | None:
        """The request kasir raised for money `payment_uid` received that it cannot keep."""
        ...

    async def list(self, *, status: RefundStatus | None = None, limit: int = 100) -> list[Refund]:
        """Refunds (of one status, or all), newest first."""
        ...


class NotificationInbox(Protocol):
    """Stored gateway notifications (see application.inbox)."""

    async def add(self, entry: InboxEntry) -> None:
        """Store a new entry and set its `id`."""
        ...

    async def update(self, entry: InboxEntry) -> None: ...

    async def store_claiming_status_check(
        self, entry: InboxEntry, *, attempt_id: str, now: datetime, min_interval: timedelta
    ) -> bool:
        """Store `entry` (add it when new, else update it) and take attempt `attempt_id`'s
        status-check budget in this transaction, as PaymentRepository.claim_status_check does;
        True when the budget was taken. Then the entry is stored as being processed: its
        `outcome` and `processed_at` cleared (in `entry` too), as the gateway is asked now;
        otherwise as given. One statement where the database allows (PostgreSQL), because it
        is on every callback that asks the gateway."""
        ...

    async def get(self, entry_id: int) -> InboxEntry | None: ...

    async def list(self, where: InboxFilter) -> list[InboxEntry]:
        """Entries matching `where`, newest first."""
        ...

    async def remove_personal_data(
        self,
        *,
        received_before: datetime,
        personal_fields: Collection[str],
        now: datetime,
        limit: int,
    ) -> int:
        """Blank the personal fields of at most `limit` entries received before the cut-off,
        the oldest first; returns how many. Bounded, so one transaction stays short."""
        ...

    async def delete_rejected(self, *, received_before: datetime, limit: int) -> int:
        """Delete up to `limit` entries that never verified (REJECTED_VERIFICATIONS) received
        before the cut-off, oldest first; returns how many."""
        ...


class AuditLog(Protocol):
    """The append-only audit log (domain.audit). `append` writes inside the unit of work's
    transaction, so a record commits or rolls back with the action it describes. There is no
    update and no delete: not in this port, not in any adapter."""

    async def append(self, record: AuditRecord) -> None: ...

    async def list(self, query: AuditQuery) -> list[AuditEntry]:
        """Committed entries matching `query`, newest (highest id) first."""
        ...


class StaffRepository(Protocol):
    """Staff accounts by id; names are unique whatever their case (`domain.staff.name_key`)."""

    async def add(self, account: StaffAccount) -> None:
        """Store a new account and set its `id`; a name already taken raises ConcurrentUpdate."""
        ...

    async def get(self, account_id: int) -> StaffAccount | None: ...

    async def find_by_name(self, name: str) -> StaffAccount | None:
        """The account whose name equals `name` ignoring case, or None."""
        ...

    async def list(self) -> list[StaffAccount]:
        """Every account, by id."""
        ...

    async def update(self, account: StaffAccount) -> None:
        """Write the account if nobody changed it since it was read; else ConcurrentUpdate."""
        ...

    async def lock_active_admins(self) -> builtins.list[int]:
        """The ids of the active admins, their rows locked until the transaction ends (where
        the database can), so two changes cannot each leave the other as the last admin."""
        ...


class StaffSessionRepository(Protocol):
    """Open sessions by the hash of their token."""

    async def add(self, session: StaffSession) -> None: ...

    async def find(
        self, token_hash: str, *, now: datetime
    ) -> tuple[StaffSession, StaffAccount] | None:
        """The unexpired session with this token hash and its account (active or not)."""
        ...

    async def end(self, token_hash: str) -> StaffSession | None:
        """Delete the session; the one deleted, or None when there was none."""
        ...

    async def end_all(self, account_id: int) -> int:
        """Delete every session of the account; how many."""
        ...

    async def purge_expired(self, *, now: datetime, limit: int) -> int:
        """Delete up to `limit` expired sessions, the oldest first; how many."""
        ...


class LoginThrottleRepository(Protocol):
    """Failed logins per (name, address) pair (domain.login_throttle), durable and shared by
    every process, so a restart or another worker does not forget a lock."""

    async def lock(self, key: ThrottleKey, *, now: datetime) -> FailedLogins:
        """The pair's record (a fresh one with no failures when there is none), its row locked
        until the transaction ends, so concurrent attempts on one pair count one by one."""
        ...

    async def put(self, key: ThrottleKey, record: FailedLogins, *, forget_at: datetime) -> None:
        """Store the pair's record, to be deleted by `purge` once `forget_at` has passed."""
        ...

    async def forget(self, key: ThrottleKey) -> None: ...

    async def purge(self, *, now: datetime, limit: int) -> int:
        """Delete up to `limit` records past their `forget_at`; how many. Keeps the table
        bounded by what one lockout period of failures can write."""
        ...


class PasswordHasher(Protocol):
    """Hashes and checks staff passwords (Argon2id). CPU-heavy: implementations run the work
    off the event loop and bound how many run at once."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """True when `password` matches. With no hash (no such account), the same work is
        done against a dummy hash and the answer is False, so timing tells nothing."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than today's."""
        ...


class SecretTokens(Protocol):
    """Unguessable secrets handed out once (session tokens)."""

    def new_secret(self) -> str: ...


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

    @property
    def audit(self) -> AuditLog: ...

    @property
    def outbox(self) -> OutboxWriter:
        """The order and payment events this transaction commits (application.outbox);
        `commit` writes them itself, readers use `for_order`."""
        ...

    @property
    def staff(self) -> StaffRepository: ...

    @property
    def staff_sessions(self) -> StaffSessionRepository: ...

    @property
    def login_throttle(self) -> LoginThrottleRepository: ...

    @property
    def shifts(self) -> ShiftRepository: ...

    @property
    def refunds(self) -> RefundRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def record(self, event: DomainEvent) -> None:
        """An event no aggregate owns; published with the aggregates' events after commit."""
        ...

    async def commit(self) -> None:
        """Write the new events to the outbox in this transaction, commit, then hand the new
        events of every order and payment stored in this unit of
        work (and the recorded ones) to the in-process publisher, in the order stored."""
        ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per transaction; `read_only` skips the write lock."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


class Clock(Protocol):
    """The current time, timezone-aware UTC. A port so tests can set it."""

    def now(self) -> datetime: ...


class CheckAlarm(Protocol):
    """Tells this process's reconciliation runner that a check falls due at `due_at`, so it
    wakes then rather than at its next interval. Best effort and in-process only: the due time
    is already committed (ReconciliationQueue.request_check), and any runner claims it."""

    def wake_at(self, due_at: datetime) -> None: ...


class ReferenceGenerator(Protocol):
    """Unguessable identifiers: merchant order ids sent to the gateway, order access tokens."""

    def new_attempt_id(self) -> str:
        """A fresh merchant order id, at most 50 characters, never returned twice."""
        ...

    def new_access_token(self) -> str:
        """A secret token that lets one customer read and pay one order."""
        ...


class EventPublisher(Protocol):
    """Delivers domain events after their transaction committed (logs, metrics, webhooks)."""

    async def publish(self, events: Sequence[DomainEvent]) -> None: ...


class IdempotencyStore(Protocol):
    """Idempotency keys by (scope, key); each call is one short transaction of its own.

    See application.idempotency. Safe for several processes sharing one database: of racing
    claims of one key, exactly one gets it.
    """

    async def claim(
        self,
        *,
        scope: str,
        key: str,
        fingerprint: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        expires_at: datetime,
    ) -> IdempotencyRecord:
        """Take the key for `owner` and return the record as stored after the call.

        A new key is stored in flight, held by `owner` until `lease_until`. A stored key past
        its `expires_at` is replaced as if new. A key still in flight whose lease ran out (its
        process died) is taken over, but only for the same `fingerprint`. Otherwise the record
        is returned unchanged: the caller got the key iff `lease_owner == owner`.
        """
        ...

    async def complete(
        self,
        *,
        scope: str,
        key: str,
        owner: str,
        response: StoredResponse,
        now: datetime,
        expires_at: datetime,
    ) -> bool:
        """Store the answer of the request `owner` ran and end its lease; False (and nothing
        changes) when `owner` no longer holds the key."""
        ...

    async def release(self, *, scope: str, key: str, owner: str) -> bool:
        """Forget a key `owner` holds in flight, so the next request with it runs again."""
        ...

    async def purge_expired(self, *, now: datetime) -> int:
        """Delete every key whose `expires_at` has passed; returns how many."""
        ...


class ReconciliationQueue(Protocol):
    """The reconciliation job's work list over the payment attempts (application.
    reconciliation_schedule). Each call is one short transaction of its own; no transaction
    is ever held while the gateway is asked.
    """

    async def claim_due(
        self,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
        creating_before: datetime,
        expired_before: datetime,
        limit: int,
    ) -> list[ScheduledCheck]:
        """Lease up to `limit` due attempts to `owner` until `lease_until`, oldest first.

        Due, unless another owner's lease is still running, the attempt succeeded, or it
        awaits review with no check scheduled (an open review stops the schedule unless a
        next check was set with the flag; a resolved one gives the attempt back to it):
        - a `creating` QRIS attempt recorded before `creating_before`, unless a retry was
          scheduled (`next_check_at`) that is still ahead;
        - a `pending` or `cancelled` QRIS attempt that has an expiry (its QR was issued),
          never checked yet and expired before `expired_before`;
        - any other QRIS attempt (pending, cancelled, failed, expired) scheduled at or before
          `now`.
        Of several processes claiming at once, each attempt goes to one of them.
        """
        ...

    async def record(
        self,
        attempt_id: str,
        *,
        owner: str,
        next_check_at: datetime | None,
        counted: bool,
        review_reason: str | None,
        now: datetime,
        claimed_at: datetime,
        rejected: bool = False,
    ) -> bool:
        """End `owner`'s lease and schedule what comes next: the next check at `next_check_at`
        (None: no more), one more scheduled check made when `counted` (which also ends a run
        of refused checks), one more refused check when `rejected`, and a human review when
        `review_reason` is given (a new flag reopens a resolved review). False (nothing
        changes) when `owner` lost the lease.

        A check requested (`request_check`) after the claim made at `claimed_at` is kept when
        it is sooner than `next_check_at`: this runner's check may have been answered before
        the payment that the request is about.
        """
        ...

    async def request_check(
        self, attempt_id: str, *, now: datetime, min_interval: timedelta
    ) -> datetime | None:
        """Schedule a status check of `attempt_id` for the moment its status-check budget
        allows (its last check plus `min_interval`, or `now`), and return that due time once
        committed. None, and nothing changes, when the job would never claim the attempt:
        unknown, not QRIS, settled (succeeded, failed, expired, or closed before its QR was
        issued), or under a review still open. A `creating` attempt is claimed no earlier than
        the end of its grace period."""
        ...

    async def next_due_at(self, *, now: datetime, creating_before: datetime) -> datetime | None:
        """The earliest `next_check_at` the job will claim when it comes (as `claim_due`,
        leases running at `now` left out), or None; a time at or before `now` means due now.
        Lets a runner sleep until then rather than a whole interval."""
        ...

    async def list_needing_review(self, *, limit: int = 100) -> list[ReviewItem]:
        """Attempts flagged for review whose review is open (nobody resolved it) and that did
        not succeed since, newest flag first."""
        ...


class ReportQueries(Protocol):
    """The day report's figures, read with aggregate queries (never by loading every order).

    Read-only: each call is one short read transaction of its own. `start` and `end` are UTC
    instants, `[start, end)`; application.reports says what each figure counts.
    """

    async def day_totals(self, *, start: datetime, end: datetime) -> DayTotals:
        """Orders placed, paid and cancelled, and money received and given back by payment
        method, within `[start, end)`."""
        ...


class ReceiptPrints(Protocol):
    """How many times each order's receipt was issued, so a copy says it is one.

    Each call is one short write transaction of its own; racing calls for one order each get
    their own number (an atomic increment in the database).
    """

    async def record_print(self, order_id: int, *, now: datetime) -> int:
        """Count one more receipt of `order_id` issued at `now`; its number (1 = the original)."""
        ...
