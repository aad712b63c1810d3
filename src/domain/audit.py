"""The audit log's record: who did what to which thing, when, and what it was before and after.

Every staff action that touches money or access appends one, in the same transaction as the
action (so a record exists exactly when the action happened). Records are never changed or
deleted: the log is how the owner answers "who gave this refund" months later.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

MAX_ACTOR_LENGTH = 100
MAX_SUBJECT_LENGTH = 100
MAX_ACTION_LENGTH = 64
# A stable dotted code: "shift.opened", "refund.approved", "auth.login_failed".
_ACTION = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
Snapshot = Mapping[str, JsonValue]


class InvalidAuditRecord(ValueError):
    """An audit record that would not say clearly who did what to what: a bug in the caller
    (the inputs it is built from are validated before), so not a client error."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """One staff action: `actor_id` is the caller's stable id (`Staff.staff_id`, "system:<job>"),
    `actor_name` what people read; `subject` names the thing acted on ("order:12", "shift:3");
    `before`/`after` hold the few fields the action changed, never a secret."""

    actor_id: str
    actor_name: str
    action: str
    subject: str
    before: Snapshot | None
    after: Snapshot | None
    at: datetime

    def __post_init__(self) -> None:
        if not _ACTION.fullmatch(self.action) or len(self.action) > MAX_ACTION_LENGTH:
            raise InvalidAuditRecord(f"audit action must be a dotted code, got {self.action!r}")
        for name, value, limit in (
            ("actor_id", self.actor_id, MAX_ACTOR_LENGTH),
            ("actor_name", self.actor_name, MAX_ACTOR_LENGTH),
            ("subject", self.subject, MAX_SUBJECT_LENGTH),
        ):
            if not value or len(value) > limit:
                raise InvalidAuditRecord(f"audit {name} must be 1 to {limit} characters")
        if self.at.tzinfo is None:
            raise InvalidAuditRecord("audit time must be timezone-aware")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A stored audit record and its id (ids grow with time: the log's order)."""

    id: int
    record: AuditRecord
