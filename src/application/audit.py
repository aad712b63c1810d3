"""Building audit records from the caller who acted, and reading the log back.

Use cases append a record through `uow.audit` inside the transaction of the action it
describes; this module gives them one way to name the actor, so the log reads the same
whoever wrote it.
"""

from dataclasses import dataclass
from datetime import datetime

from application.callers import Anonymous, Caller, OrderPassHolder, OrderTokenHolder, Staff, System
from domain.audit import AuditRecord, Snapshot

MAX_PAGE = 500


def actor_of(caller: Caller) -> tuple[str, str]:
    """(actor_id, actor_name) of a caller: staff by their stable id and name, kasir's jobs as
    "system:<job>", customers without naming them (an order-token or signed-link holder is not a
    person we know)."""
    match caller:
        case Staff():
            return caller.staff_id, caller.name
        case System():
            return f"system:{caller.job}", caller.job
        case OrderTokenHolder():
            return "order_token", "customer"
        case OrderPassHolder():
            return "order_pass", "customer"  # the payment page's signed link
        case Anonymous():
            return "anonymous", "anonymous"


def audit_record(
    caller: Caller,
    action: str,
    subject: str,
    *,
    at: datetime,
    before: Snapshot | None = None,
    after: Snapshot | None = None,
) -> AuditRecord:
    """The record of `caller` doing `action` (a dotted code) to `subject` ("order:12")."""
    actor_id, actor_name = actor_of(caller)
    return AuditRecord(
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        subject=subject,
        before=before,
        after=after,
        at=at,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """Which audit entries to read: newest first, each filter optional, `before_id` the cursor
    (entries with a smaller id than the last one seen), at most `limit`."""

    actor_id: str | None = None
    action: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1 to {MAX_PAGE}")
