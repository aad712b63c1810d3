"""Cash drawer shifts: one cashier's drawer from the opening float to the counted close.

A shift keeps running totals of every movement of cash through its drawer, so the cash it
should hold is known at any moment without re-reading history:

    expected = opening float + cash payments - cash refunds + paid in - paid out

Every change goes through a method that refuses it once the shift is closed: a closed shift
(its Z report) never changes again.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidAmount, InvalidTransition, ReasonRequired, ShiftClosed
from domain.events import CashMovementRecorded, DomainEvent, ShiftOpened
from domain.events import ShiftClosed as ShiftClosedEvent
from domain.money import MAX_RUPIAH, rupiah

MAX_REASON_LENGTH = 500
MAX_NOTE_LENGTH = 2000


class ShiftStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CashMovementKind(StrEnum):
    """Cash put into or taken out of the drawer for a reason other than a sale or a refund."""

    PAID_IN = "paid_in"  # e.g. more change brought from the safe
    PAID_OUT = "paid_out"  # e.g. ice bought from the shop next door


@dataclass(frozen=True, slots=True, kw_only=True)
class CashMovement:
    """One paid-in or paid-out of a shift, with the staff member who did it and why."""

    shift_id: int
    kind: CashMovementKind
    amount: int
    reason: str
    staff_id: str
    staff_name: str
    at: datetime
    id: int | None = None


@dataclass(slots=True, kw_only=True)
class Shift:
    """One staff member's cash drawer, open from `opened_at` until it is closed."""

    id: int | None = None
    staff_id: str
    staff_name: str
    opening_float: int
    opened_at: datetime
    status: ShiftStatus = ShiftStatus.OPEN
    cash_payments: int = 0
    cash_payments_count: int = 0
    cash_refunds: int = 0
    cash_refunds_count: int = 0
    paid_in: int = 0
    paid_out: int = 0
    closed_at: datetime | None = None
    closed_by: str | None = None  # the staff_id of who closed it
    closed_by_name: str | None = None
    force_closed: bool = False
    counted_cash: int | None = None
    expected_at_close: int | None = None
    note: str | None = None
    version: int = 0
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def open(cls, *, staff_id: str, staff_name: str, opening_float: int, now: datetime) -> "Shift":
        """A new open shift; the float is the cash put in the drawer to give change from."""
        if not staff_id:
            raise InvalidTransition("a shift belongs to a staff member")
        return cls(
            staff_id=staff_id,
            staff_name=staff_name,
            opening_float=rupiah(opening_float, what="opening float"),
            opened_at=now,
        )

    @property
    def key(self) -> int:
        if self.id is None:
            raise InvalidTransition("shift has not been stored yet")
        return self.id

    def assign_id(self, shift_id: int) -> None:
        """Called once by the repository that stores the shift; records that it opened."""
        if self.id is not None:
            raise InvalidTransition("shift already has an id")
        self.id = shift_id
        self.events.append(ShiftOpened(shift_id, self.staff_id, self.opening_float))

    @property
    def is_open(self) -> bool:
        return self.status is ShiftStatus.OPEN

    @property
    def cash_in(self) -> int:
        return self.cash_payments + self.paid_in

    @property
    def cash_out(self) -> int:
        return self.cash_refunds + self.paid_out

    @property
    def expected_cash(self) -> int:
        """The cash the drawer should hold now (at its close, for a closed shift)."""
        return self.opening_float + self.cash_in - self.cash_out

    @property
    def difference(self) -> int | None:
        """Counted minus expected once closed: positive is cash over, negative is short."""
        if self.counted_cash is None or self.expected_at_close is None:
            return None
        return self.counted_cash - self.expected_at_close

    def belongs_to(self, staff_id: str) -> bool:
        return self.staff_id == staff_id

    def record_cash_payment(self, amount: int) -> None:
        """A cash payment of `amount` (the order total; the change went back) went in."""
        self._require_open("take cash into")
        self.cash_payments = self._bounded(self.cash_payments + rupiah(amount))
        self.cash_payments_count += 1

    def record_cash_refund(self, amount: int) -> None:
        """An approved cash refund of `amount` came out of the drawer."""
        self._require_open("refund cash from")
        self.cash_refunds = self._bounded(self.cash_refunds + _positive(amount, "refund"))
        self.cash_refunds_count += 1

    def move_cash(
        self,
        *,
        kind: CashMovementKind,
        amount: int,
        reason: str,
        staff_id: str,
        staff_name: str,
        now: datetime,
    ) -> CashMovement:
        """Paid-in or paid-out with a reason; returns the movement to store with the shift."""
        self._require_open("move cash in or out of")
        amount = _positive(amount, kind.value)
        reason = required_text(reason, what="reason", limit=MAX_REASON_LENGTH)
        if kind is CashMovementKind.PAID_IN:
            self.paid_in = self._bounded(self.paid_in + amount)
        else:
            self.paid_out = self._bounded(self.paid_out + amount)
        movement = CashMovement(
            shift_id=self.key,
            kind=kind,
            amount=amount,
            reason=reason,
            staff_id=staff_id,
            staff_name=staff_name,
            at=now,
        )
        self.events.append(CashMovementRecorded(self.key, kind.value, amount, staff_id))
        return movement

    def close(
        self,
        *,
        counted_cash: int,
        note: str | None,
        by: str,
        by_name: str,
        now: datetime,
        forced: bool = False,
    ) -> None:
        """open → closed with the cash counted in the drawer; the expected cash is frozen."""
        self._require_open("close")
        counted_cash = rupiah(counted_cash, what="counted cash")
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            raise InvalidTransition(f"the note has at most {MAX_NOTE_LENGTH} characters")
        self.status = ShiftStatus.CLOSED
        self.counted_cash = counted_cash
        self.expected_at_close = self.expected_cash
        self.note = note
        self.closed_at = now
        self.closed_by = by
        self.closed_by_name = by_name
        self.force_closed = forced
        self.events.append(
            ShiftClosedEvent(
                self.key,
                self.staff_id,
                self.expected_at_close,
                counted_cash,
                counted_cash - self.expected_at_close,
                forced,
            )
        )

    def _require_open(self, action: str) -> None:
        if not self.is_open:
            raise ShiftClosed(f"cannot {action} shift {self.id}: it is closed")

    @staticmethod
    def _bounded(total: int) -> int:
        if total > MAX_RUPIAH:
            raise InvalidTransition("the shift's totals are too large")
        return total


def _positive(amount: int, what: str) -> int:
    amount = rupiah(amount, what=f"{what} amount")
    if amount == 0:
        raise InvalidAmount(f"a {what} amount must be more than 0")
    return amount


def required_text(value: str, *, what: str, limit: int) -> str:
    """A non-blank text of at most `limit` characters, stripped."""
    stripped = value.strip() if isinstance(value, str) else ""
    if not stripped:
        raise ReasonRequired(f"a {what} is required")
    if len(stripped) > limit:
        raise InvalidTransition(f"the {what} has at most {limit} characters")
    return stripped
