"""Open cash drawer shifts for tests that take cash below the use cases."""

from datetime import UTC, datetime

from application.ports import UnitOfWork
from domain.shifts import Shift

OPENED_AT = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


async def open_shift_in(
    uow: UnitOfWork, staff_name: str = "kasir", opening_float: int = 0
) -> Shift:
    """An open shift of `staff_name`, stored in `uow` (not committed)."""
    shift = Shift.open(
        staff_id=f"token:{staff_name}",
        staff_name=staff_name,
        opening_float=opening_float,
        now=OPENED_AT,
    )
    await uow.shifts.add(shift)
    return shift
