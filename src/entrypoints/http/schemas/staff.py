"""Sign-in, staff account and audit log schemas. A password is only ever read, never sent."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from domain.audit import AuditEntry
from domain.staff import MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH, Role, StaffAccount
from entrypoints.http.input_guard import SINGLE_LINE
from entrypoints.http.schemas.constraints import Id

StaffName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=SINGLE_LINE,
        description="the account's name (compared ignoring case)",
    ),
]
# Printable characters: the length rule of new passwords is checked by the use case (weak_password).
Password = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_PASSWORD_LENGTH,
        pattern=SINGLE_LINE,
        description="any printable characters; never returned",
    ),
]


class LoginRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: StaffName
    password: Password


class StaffView(msgspec.Struct, kw_only=True):
    id: Annotated[str, msgspec.Meta(description='the stable staff id, "account:<n>"')]
    name: str
    role: Role


class LoginResponse(msgspec.Struct, kw_only=True):
    token: Annotated[str, msgspec.Meta(description="send as Authorization: Bearer <token>")]
    expires_at: datetime
    staff: StaffView


class StaffAccountResponse(msgspec.Struct, kw_only=True):
    id: Id
    staff_id: Annotated[str, msgspec.Meta(description='"account:<id>", as the audit log names it')]
    name: str
    role: Role
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, account: StaffAccount) -> "StaffAccountResponse":
        return cls(
            id=account.id or 0,
            staff_id=account.staff_id,
            name=account.name,
            role=account.role,
            active=account.active,
            created_at=account.created_at,
            updated_at=account.updated_at,
        )


class CreateStaffRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: StaffName
    role: Role
    password: Password


class ChangeStaffRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: Role | None = None
    active: bool | None = None
    password: Annotated[Password | None, msgspec.Meta(description="a new password (reset)")] = None


class AuditEntryResponse(msgspec.Struct, kw_only=True):
    id: Id
    actor_id: str
    actor_name: str
    action: str
    subject: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryResponse":
        record = entry.record
        return cls(
            id=entry.id,
            actor_id=record.actor_id,
            actor_name=record.actor_name,
            action=record.action,
            subject=record.subject,
            before=None if record.before is None else dict(record.before),
            after=None if record.after is None else dict(record.after),
            at=record.at,
        )


class AuditPage(msgspec.Struct, kw_only=True):
    entries: list[AuditEntryResponse]
    next_before_id: Annotated[
        int | None, msgspec.Meta(description="pass as before_id for the next (older) page")
    ]
