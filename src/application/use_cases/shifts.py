"""Cash drawer shifts: open with a float, paid-in and paid-out, close with the counted cash,
and the X (open) and Z (closed) reports."""

from dataclasses import dataclass

from application.audit import audit_record
from application.callers import Caller
from application.errors import NotFound, ShiftAlreadyOpen
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.retry import retry_on_conflict
from application.shift_access import require_drawer_staff, require_shift_access
from domain.shifts import CashMovement, CashMovementKind, Shift


@dataclass(frozen=True, slots=True)
class ShiftReport:
    """A shift with its paid-ins and paid-outs: the X report while it is open, the Z report
    once it is closed (then its expected cash, counted cash and difference are frozen)."""

    shift: Shift
    movements: list[CashMovement]


async def _report(uow: UnitOfWork, shift: Shift) -> ShiftReport:
    return ShiftReport(shift=shift, movements=await uow.shifts.list_movements(shift.key))


@dataclass(frozen=True, slots=True)
class OpenShift:
    """A cashier (or an admin) opens their own shift with the opening float in the drawer.

    One open shift per staff member: a second one is refused with ShiftAlreadyOpen, and the
    database's partial unique index holds the rule when two requests race.
    """

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, *, opening_float: int, caller: Caller) -> Shift:
        """Raises Forbidden, InvalidAmount for a negative float, or ShiftAlreadyOpen."""
        staff = require_drawer_staff(caller)

        async def open_one() -> Shift:
            async with self.uow() as uow:
                if await uow.shifts.find_open(staff.staff_id) is not None:
                    raise ShiftAlreadyOpen(f"{staff.name} already has an open shift")
                now = self.clock.now()
                shift = Shift.open(
                    staff_id=staff.staff_id,
                    staff_name=staff.name,
                    opening_float=opening_float,
                    now=now,
                )
                await uow.shifts.add(shift)
                await uow.audit.append(
                    audit_record(
                        staff,
                        "shift.opened",
                        f"shift:{shift.key}",
                        at=now,
                        after={"opening_float": shift.opening_float},
                    )
                )
                await uow.commit()
            return shift

        return await retry_on_conflict(open_one)


@dataclass(frozen=True, slots=True)
class CurrentShift:
    """The caller's own open shift with its X report."""

    uow: UnitOfWorkFactory

    async def execute(self, *, caller: Caller) -> ShiftReport:
        """Raises Forbidden, or NotFound when the caller has no open shift."""
        staff = require_drawer_staff(caller)
        async with self.uow(read_only=True) as uow:
            shift = await uow.shifts.find_open(staff.staff_id)
            if shift is None:
                raise NotFound("you have no open shift")
            return await _report(uow, shift)


@dataclass(frozen=True, slots=True)
class GetShiftReport:
    """The X report of an open shift or the Z report of a closed one (its cashier, admins)."""

    uow: UnitOfWorkFactory

    async def execute(self, shift_id: int, *, caller: Caller) -> ShiftReport:
        """Raises Forbidden, NotYourShift or NotFound."""
        staff = require_drawer_staff(caller)
        async with self.uow(read_only=True) as uow:
            shift = require_shift_access(staff, await uow.shifts.get(shift_id))
            return await _report(uow, shift)


@dataclass(frozen=True, slots=True)
class RecordCashMovement:
    """Paid-in or paid-out of a shift's drawer with a reason (its cashier, admins)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(
        self, shift_id: int, *, kind: CashMovementKind, amount: int, reason: str, caller: Caller
    ) -> CashMovement:
        """Raises Forbidden, NotYourShift, NotFound, InvalidAmount (not above 0),
        ReasonRequired, or ShiftClosed."""
        staff = require_drawer_staff(caller)

        async def move() -> CashMovement:
            async with self.uow() as uow:
                shift = require_shift_access(staff, await uow.shifts.get(shift_id, for_update=True))
                now = self.clock.now()
                before = shift.expected_cash
                movement = shift.move_cash(
                    kind=kind,
                    amount=amount,
                    reason=reason,
                    staff_id=staff.staff_id,
                    staff_name=staff.name,
                    now=now,
                )
                await uow.shifts.update(shift)
                stored = await uow.shifts.add_movement(movement)
                await uow.audit.append(
                    audit_record(
                        staff,
                        f"shift.{kind.value}",
                        f"shift:{shift.key}",
                        at=now,
                        before={"expected_cash": before},
                        after={
                            "expected_cash": shift.expected_cash,
                            "amount": stored.amount,
                            "reason": stored.reason,
                        },
                    )
                )
                await uow.commit()
            return stored

        return await retry_on_conflict(move)


@dataclass(frozen=True, slots=True)
class CloseShift:
    """Close a shift with the cash counted in its drawer; answers the Z report.

    Its own cashier closes it; an admin may close anybody's, which records a force-close (an
    abandoned drawer). The close locks the shift row, so a cash payment racing it either
    committed first (and is in the expected cash) or finds the shift closed (shift_required).
    """

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(
        self, shift_id: int, *, counted_cash: int, note: str | None, caller: Caller
    ) -> ShiftReport:
        """Raises Forbidden, NotYourShift, NotFound, InvalidAmount, or ShiftClosed."""
        staff = require_drawer_staff(caller)

        async def close() -> ShiftReport:
            async with self.uow() as uow:
                shift = require_shift_access(staff, await uow.shifts.get(shift_id, for_update=True))
                now = self.clock.now()
                forced = not shift.belongs_to(staff.staff_id)
                shift.close(
                    counted_cash=counted_cash,
                    note=note,
                    by=staff.staff_id,
                    by_name=staff.name,
                    now=now,
                    forced=forced,
                )
                await uow.shifts.update(shift)
                await uow.audit.append(
                    audit_record(
                        staff,
                        "shift.force_closed" if forced else "shift.closed",
                        f"shift:{shift.key}",
                        at=now,
                        before={"status": "open", "staff_id": shift.staff_id},
                        after={
                            "status": shift.status.value,
                            "expected_cash": shift.expected_at_close,
                            "counted_cash": shift.counted_cash,
                            "difference": shift.difference,
                        },
                    )
                )
                report = await _report(uow, shift)
                await uow.commit()
            return report

        return await retry_on_conflict(close)
