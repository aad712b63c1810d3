"""Audit records name their actor the same way whoever writes them, and refuse vague records."""

from datetime import UTC, datetime

import pytest

from application.audit import AuditQuery, actor_of, audit_record
from application.callers import (
    Anonymous,
    Caller,
    OrderPassHolder,
    OrderTokenHolder,
    Role,
    Staff,
    System,
)
from domain.audit import AuditRecord, InvalidAuditRecord

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("caller", "actor"),
    [
        (Staff("Sari", Role.CASHIER, staff_id="account:7"), ("account:7", "Sari")),
        (Staff("pos-terminal"), ("token:pos-terminal", "pos-terminal")),
        (System("reconciliation"), ("system:reconciliation", "reconciliation")),
        (OrderTokenHolder("a" * 64), ("order_token", "customer")),
        (OrderPassHolder(7), ("order_pass", "customer")),
        (Anonymous(), ("anonymous", "anonymous")),
    ],
)
def test_every_caller_is_named_by_a_stable_id_and_a_readable_name(
    caller: Caller, actor: tuple[str, str]
) -> None:
    assert actor_of(caller) == actor


def test_an_order_token_holder_is_never_named_by_the_tokens_hash() -> None:
    record = audit_record(OrderTokenHolder("f" * 64), "order.viewed", "order:1", at=NOW)

    assert "f" * 16 not in repr(record)


@pytest.mark.parametrize(
    "changes",
    [
        {"action": "refund"},
        {"action": "Refund.Approved"},
        {"action": "refund approved"},
        {"action": "refund." + "a" * 64},
        {"actor_id": ""},
        {"actor_name": "x" * 101},
        {"subject": ""},
        {"at": datetime(2026, 3, 4, 5, 6, 7)},  # noqa: DTZ001 - the naive time under test
    ],
)
def test_an_audit_record_that_would_not_say_clearly_who_did_what_is_refused(
    changes: dict[str, object],
) -> None:
    fields: dict[str, object] = {
        "actor_id": "account:7",
        "actor_name": "Sari",
        "action": "refund.approved",
        "subject": "refund:1",
        "before": None,
        "after": None,
        "at": NOW,
    }
    fields.update(changes)

    with pytest.raises(InvalidAuditRecord):
        AuditRecord(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, 501])
def test_an_audit_page_is_bounded(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        AuditQuery(limit=limit)
