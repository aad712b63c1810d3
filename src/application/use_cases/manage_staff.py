"""Admins manage staff accounts: list, add, change role, deactivate, reset a password.

The first admin of a fresh install is added from the command line (the System caller). No
change may leave the restaurant without an active admin: the active admins' rows are locked
before deciding, so two admins demoting each other at once cannot both succeed. A deactivated
account or a reset password ends the account's sessions in the same transaction.
"""

from dataclasses import dataclass

from application.audit import audit_record
from application.callers import Caller, Role, System, require_staff
from application.errors import NotFound, StaffNameTaken
from application.ports import Clock, PasswordHasher, UnitOfWorkFactory
from domain.staff import StaffAccount, check_new_password, staff_name

ACCOUNT_NOT_FOUND = "staff account not found"


def _require_admin_or_system(caller: Caller) -> None:
    if not isinstance(caller, System):
        require_staff(caller, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class ListStaff:
    """Every account, by id (admins only)."""

    uow: UnitOfWorkFactory

    async def execute(self, *, caller: Caller) -> list[StaffAccount]:
        require_staff(caller, Role.ADMIN)
        async with self.uow(read_only=True) as uow:
            return await uow.staff.list()


@dataclass(frozen=True, slots=True)
class AddStaff:
    """A new account with a role and a password (admins, or the command line)."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    clock: Clock

    async def execute(
        self, *, caller: Caller, name: str, role: Role, password: str
    ) -> StaffAccount:
        _require_admin_or_system(caller)
        name = staff_name(name)
        password_hash = await self.hasher.hash(check_new_password(password))
        async with self.uow() as uow:
            if await uow.staff.find_by_name(name) is not None:
                raise StaffNameTaken("another account has this name")
            account = StaffAccount.create(
                name=name, role=role, password_hash=password_hash, now=self.clock.now()
            )
            await uow.staff.add(account)
            await uow.audit.append(
                audit_record(
                    caller,
                    "staff.added",
                    f"staff:{account.staff_id}",
                    at=account.created_at,
                    after=account.audit_view(),
                )
            )
            await uow.commit()
        return account


@dataclass(frozen=True, slots=True)
class ChangeStaff:
    """Change an account's role, active flag or password (admins, or kasir itself: the demo
    admin's password of a simulated run)."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    clock: Clock

    async def execute(
        self,
        account_id: int,
        *,
        caller: Caller,
        role: Role | None = None,
        active: bool | None = None,
        password: str | None = None,
    ) -> StaffAccount:
        _require_admin_or_system(caller)
        password_hash = (
            await self.hasher.hash(check_new_password(password)) if password is not None else None
        )
        async with self.uow() as uow:
            admins = await uow.staff.lock_active_admins()
            account = await uow.staff.get(account_id)
            if account is None:
                raise NotFound(ACCOUNT_NOT_FOUND)
            now = self.clock.now()
            before = account.audit_view()
            account.change(
                now=now,
                role=role,
                active=active,
                other_active_admins=len([a for a in admins if a != account_id]),
            )
            if password_hash is not None:
                account.set_password_hash(password_hash, now=now)
            await uow.staff.update(account)
            if not account.active or password_hash is not None:
                await uow.staff_sessions.end_all(account_id)
            after = {**account.audit_view(), "password_reset": password_hash is not None}
            await uow.audit.append(
                audit_record(
                    caller,
                    "staff.changed",
                    f"staff:{account.staff_id}",
                    at=now,
                    before=before,
                    after=after,
                )
            )
            await uow.commit()
        return account
