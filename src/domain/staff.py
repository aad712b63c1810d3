"""Staff accounts: who may sign in to kasir, with which role, and the rules on their names,
passwords and the last admin.

The password itself never reaches this module: an account holds the hash only, made and
checked by the application's password hasher (Argon2id). The hash is left out of `repr()`.
"""

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from domain.errors import DomainError

MAX_NAME_LENGTH = 64
MIN_PASSWORD_LENGTH = 10
# Argon2 takes any length; a bound keeps one login from costing more than hashing a page.
MAX_PASSWORD_LENGTH = 256
_NAME = re.compile(r"^[\w .@'-]+$")


class Role(enum.StrEnum):
    """What a staff member may do: an admin manages staff, menu and approvals; a cashier takes
    payments, runs a cash drawer shift, voids unpaid orders and requests refunds."""

    ADMIN = "admin"
    CASHIER = "cashier"


class InvalidStaffAccount(DomainError):
    """A staff account's name or role is not acceptable."""

    code = "invalid_staff_account"


class WeakPassword(DomainError):
    """A new password is too short or too long; the message says the bounds, never the input."""

    code = "weak_password"


class LastAdmin(DomainError):
    """The change would leave no active admin to manage staff."""

    code = "last_admin"


def staff_name(name: str) -> str:
    """The name as stored: trimmed, 1 to 64 letters, digits, spaces or `_ . @ ' -`."""
    cleaned = unicodedata.normalize("NFC", name.strip())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH or not _NAME.match(cleaned):
        raise InvalidStaffAccount(
            f"a staff name is 1 to {MAX_NAME_LENGTH} letters, digits, spaces or _ . @ ' -"
        )
    return cleaned


def name_key(name: str) -> str:
    """What makes two names the same account: case and Unicode form do not count."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def check_new_password(password: str) -> str:
    """A password acceptable for a new or reset account (length only, as NIST SP 800-63B)."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return password


@dataclass(slots=True, kw_only=True)
class StaffAccount:
    """A person who signs in. `id` is None until the repository stores it; `version` guards
    concurrent changes (an update applies only to the version that was read)."""

    id: int | None = None
    name: str
    role: Role
    active: bool = True
    password_hash: str = field(repr=False)
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @classmethod
    def create(cls, *, name: str, role: Role, password_hash: str, now: datetime) -> "StaffAccount":
        return cls(
            name=staff_name(name),
            role=Role(role),
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
        )

    @property
    def staff_id(self) -> str:
        """The identity that shifts, refunds and the audit log key on."""
        if self.id is None:
            raise ValueError("the account is not stored yet")
        return f"account:{self.id}"

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def is_active_admin(self) -> bool:
        return self.active and self.role is Role.ADMIN

    def change(
        self,
        *,
        now: datetime,
        role: Role | None = None,
        active: bool | None = None,
        other_active_admins: int,
    ) -> None:
        """Apply what is given. Refused (LastAdmin) when it would demote or deactivate the
        last active admin: `other_active_admins` counts the active admins besides this one."""
        new_role = self.role if role is None else Role(role)
        new_active = self.active if active is None else active
        stays_admin = new_active and new_role is Role.ADMIN
        if self.is_active_admin and not stays_admin and other_active_admins == 0:
            raise LastAdmin("the last active admin cannot be deactivated or demoted")
        self.role = new_role
        self.active = new_active
        self.updated_at = now

    def set_password_hash(self, password_hash: str, *, now: datetime) -> None:
        """A new password (reset by an admin), or the same one hashed with today's parameters."""
        self.password_hash = password_hash
        self.updated_at = now

    def audit_view(self) -> dict[str, str | bool]:
        """What the audit log keeps of the account: never the password hash."""
        return {"name": self.name, "role": self.role.value, "active": self.active}
