"""Contract of the audit log on every backend: append-only, in the action's transaction."""

from datetime import UTC, datetime, timedelta

import pytest

from application.audit import AuditQuery, audit_record
from application.callers import Role, Staff, System
from application.ports import UnitOfWorkFactory
from domain.audit import AuditRecord

NOW = datetime(2026, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)
SARI = Staff("Sari", Role.CASHIER, staff_id="account:7")


def refund_approved(at: datetime = NOW, *, subject: str = "refund:1") -> AuditRecord:
    return audit_record(
        SARI,
        "refund.approved",
        subject,
        at=at,
        before={"status": "requested", "amount": 25_000},
        after={"status": "approved", "lines": [{"line_no": 1, "quantity": 2}], "note": None},
    )


async def append(uow_factory: UnitOfWorkFactory, *records: AuditRecord) -> None:
    async with uow_factory() as uow:
        for record in records:
            await uow.audit.append(record)
        await uow.commit()


async def read(uow_factory: UnitOfWorkFactory, query: AuditQuery) -> list[AuditRecord]:
    async with uow_factory(read_only=True) as uow:
        return [entry.record for entry in await uow.audit.list(query)]


async def test_an_audit_record_reads_back_exactly_as_appended(
    uow_factory: UnitOfWorkFactory,
) -> None:
    record = refund_approved()

    await append(uow_factory, record)

    assert await read(uow_factory, AuditQuery()) == [record]


async def test_an_audit_record_of_a_rolled_back_action_is_never_stored(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.audit.append(refund_approved())
        await uow.rollback()
    async with uow_factory() as uow:
        await uow.audit.append(refund_approved(subject="refund:2"))
        # leaving without commit rolls back too

    assert await read(uow_factory, AuditQuery()) == []


async def test_the_audit_log_reads_newest_first_and_pages_by_id(
    uow_factory: UnitOfWorkFactory,
) -> None:
    records = [refund_approved(NOW + timedelta(seconds=n), subject=f"refund:{n}") for n in range(5)]
    await append(uow_factory, *records)

    async with uow_factory(read_only=True) as uow:
        first = await uow.audit.list(AuditQuery(limit=2))
        second = await uow.audit.list(AuditQuery(limit=2, before_id=first[-1].id))
        rest = await uow.audit.list(AuditQuery(limit=2, before_id=second[-1].id))

    pages = [entry.record for entry in [*first, *second, *rest]]
    assert pages == list(reversed(records))
    ids = [entry.id for entry in [*first, *second, *rest]]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected_subjects"),
    [
        (AuditQuery(actor_id="account:7"), ["refund:2", "refund:1"]),
        (AuditQuery(actor_id="system:reconciliation"), ["order:9"]),
        (AuditQuery(action="order.voided"), ["order:9"]),
        (AuditQuery(subject="refund:1"), ["refund:1"]),
        (AuditQuery(since=NOW + timedelta(minutes=1)), ["refund:2", "order:9"]),
        (AuditQuery(until=NOW + timedelta(minutes=1)), ["refund:1"]),
        (
            AuditQuery(since=NOW + timedelta(minutes=1), until=NOW + timedelta(minutes=2)),
            ["order:9"],
        ),
    ],
)
async def test_the_audit_log_filters_by_actor_action_subject_and_time(
    uow_factory: UnitOfWorkFactory, query: AuditQuery, expected_subjects: list[str]
) -> None:
    voided = audit_record(
        System("reconciliation"), "order.voided", "order:9", at=NOW + timedelta(minutes=1)
    )
    await append(
        uow_factory,
        refund_approved(NOW, subject="refund:1"),
        voided,
        refund_approved(NOW + timedelta(minutes=2), subject="refund:2"),
    )

    found = await read(uow_factory, query)

    assert [record.subject for record in found] == expected_subjects


async def test_a_read_only_unit_of_work_cannot_append_to_the_audit_log(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory(read_only=True) as uow:
        with pytest.raises(RuntimeError):
            await uow.audit.append(refund_approved())
