"""Who may act on a cash drawer shift: its own cashier, or an admin."""

from application.callers import Caller, Role, Staff, require_staff
from application.errors import NotFound, NotYourShift
from domain.shifts import Shift

DRAWER_ROLES = (Role.CASHIER, Role.ADMIN)


def require_drawer_staff(caller: Caller) -> Staff:
    """A cashier or an admin: the roles that run a cash drawer."""
    return require_staff(caller, *DRAWER_ROLES)


def require_shift_access(staff: Staff, shift: Shift | None) -> Shift:
    """The shift, when `staff` may act on it: its own staff member, or any admin.

    An unknown shift is NotFound; somebody else's is NotYourShift (403), since shift ids are
    not secret between the staff of one restaurant.
    """
    if shift is None:
        raise NotFound("shift not found")
    if shift.belongs_to(staff.staff_id) or staff.role is Role.ADMIN:
        return shift
    raise NotYourShift(f"shift {shift.id} belongs to another staff member")
