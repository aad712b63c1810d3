"""Contract of the notification inbox and of the status-check budget, on every backend."""

from datetime import UTC, datetime, timedelta

from application.inbox import REMOVED, InboxEntry, InboxFilter, Verification
from application.ports import UnitOfWorkFactory
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment

NOW = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
PERSONAL = frozenset({"customerName", "email"})


def received(
    attempt_id: str | None = "KSR-1", *, at: datetime = NOW, name: str = "B*** S******"
) -> InboxEntry:
    return InboxEntry(
        received_at=at,
        gateway="duitku",
        source_address="203.0.113.7",
        fields={"merchantOrderId": attempt_id or "", "amount": "55000", "customerName": name},
        attempt_id=attempt_id,
        signature="abc123",
    )


async def add_entries(uow_factory: UnitOfWorkFactory, *entries: InboxEntry) -> None:
    async with uow_factory() as uow:
        for entry in entries:
            await uow.inbox.add(entry)
        await uow.commit()


async def test_an_inbox_entry_gets_an_id_and_reads_back_with_every_field(
    uow_factory: UnitOfWorkFactory,
) -> None:
    plain = received()
    full = InboxEntry(
        received_at=NOW,
        gateway="another-gateway",  # each entry keeps the name of the gateway that sent it
        source_address=None,
        fields={"merchantOrderId": "KSR-2", "resultCode": "00"},
        attempt_id="KSR-2",
        signature=None,
        verification=Verification.VERIFIED,
        signature_scheme="md5",
        outcome="applied",
        detail="paid order 1",
        processed_at=NOW + timedelta(seconds=1),
        needs_review=True,
        reviewed_at=NOW + timedelta(hours=1),
        reviewed_by="manager",
        review_note="checked",
        personal_data_removed_at=NOW + timedelta(days=90),
    )
    await add_entries(uow_factory, plain, full)
    assert plain.id is not None
    assert full.id is not None
    assert plain.id < full.id
    async with uow_factory(read_only=True) as uow:
        assert await uow.inbox.get(plain.key) == plain
        assert await uow.inbox.get(full.key) == full
        assert await uow.inbox.get(full.key + 100) is None


async def test_an_inbox_update_stores_the_processing_and_the_review(
    uow_factory: UnitOfWorkFactory,
) -> None:
    entry = received()
    await add_entries(uow_factory, entry)
    async with uow_factory() as uow:
        stored = await uow.inbox.get(entry.key)
        assert stored is not None
        stored.verification = Verification.REJECTED
        stored.outcome = "rejected"
        stored.detail = "bad signature"
        stored.processed_at = NOW
        stored.needs_review = True
        await uow.inbox.update(stored)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.inbox.get(entry.key) == stored


async def test_inbox_lists_newest_first_by_every_filter(uow_factory: UnitOfWorkFactory) -> None:
    entries = [received(f"KSR-{n % 2}", at=NOW + timedelta(minutes=n)) for n in range(5)]
    entries[1].verification = Verification.VERIFIED
    entries[1].outcome = "applied"
    entries[3].needs_review = True
    await add_entries(uow_factory, *entries)
    ids = [entry.key for entry in entries]

    async def listed(where: InboxFilter) -> list[int]:
        async with uow_factory(read_only=True) as uow:
            return [entry.key for entry in await uow.inbox.list(where)]

    assert await listed(InboxFilter()) == ids[::-1]
    assert await listed(InboxFilter(limit=2)) == [ids[4], ids[3]]
    assert await listed(InboxFilter(before_id=ids[2])) == [ids[1], ids[0]]
    assert await listed(InboxFilter(attempt_id="KSR-1")) == [ids[3], ids[1]]
    assert await listed(InboxFilter(outcome="applied")) == [ids[1]]
    assert await listed(InboxFilter(verification=Verification.RECEIVED)) == [
        ids[4],
        ids[3],
        ids[2],
        ids[0],
    ]
    assert await listed(InboxFilter(needs_review=True)) == [ids[3]]
    assert await listed(InboxFilter(needs_review=False)) == [ids[4], ids[2], ids[1], ids[0]]
    window = InboxFilter(
        received_from=NOW + timedelta(minutes=1), received_until=NOW + timedelta(minutes=3)
    )
    assert await listed(window) == [ids[2], ids[1]]


async def test_personal_data_is_removed_from_entries_received_before_the_cutoff_once(
    uow_factory: UnitOfWorkFactory,
) -> None:
    old = received("KSR-old", at=NOW - timedelta(days=100))
    recent = received("KSR-recent", at=NOW - timedelta(days=10))
    await add_entries(uow_factory, old, recent)
    cutoff = NOW - timedelta(days=90)
    async with uow_factory() as uow:
        removed = await uow.inbox.remove_personal_data(
            received_before=cutoff, personal_fields=PERSONAL, now=NOW, limit=10
        )
        await uow.commit()
    assert removed == 1
    async with uow_factory() as uow:
        again = await uow.inbox.remove_personal_data(
            received_before=cutoff, personal_fields=PERSONAL, now=NOW, limit=10
        )
        cleaned = await uow.inbox.get(old.key)
        kept = await uow.inbox.get(recent.key)
    assert again == 0
    assert cleaned is not None
    assert cleaned.fields == {
        "merchantOrderId": "KSR-old",
        "amount": "55000",
        "customerName": REMOVED,
    }
    assert cleaned.personal_data_removed_at == NOW
    assert kept == recent


async def _payment(uow_factory: UnitOfWorkFactory) -> Payment:
    item = MenuItem.create(name="Nasi", price=10_000)
    async with uow_factory() as uow:
        await uow.menu.add(item)
        order = Order.place(items=[(item, 1)], access_token_hash="h", now=NOW)
        await uow.orders.add(order)
        payment = Payment.start_qris(order=order, attempt_id="KSR-check", now=NOW)
        await uow.payments.add(payment)
        await uow.commit()
    return payment


async def _claim(uow_factory: UnitOfWorkFactory, attempt_id: str, at: datetime) -> bool:
    async with uow_factory() as uow:
        claimed = await uow.payments.claim_status_check(
            attempt_id, now=at, min_interval=timedelta(seconds=30)
        )
        await uow.commit()
    return claimed


async def test_a_status_check_is_claimed_at_most_once_per_interval(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _payment(uow_factory)
    assert await _claim(uow_factory, "KSR-check", NOW) is True
    assert await _claim(uow_factory, "KSR-check", NOW + timedelta(seconds=29)) is False
    assert await _claim(uow_factory, "KSR-check", NOW + timedelta(seconds=30)) is True
    assert await _claim(uow_factory, "KSR-unknown", NOW) is False


async def test_a_status_check_claim_changes_nothing_a_use_case_relies_on(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _payment(uow_factory)
    async with uow_factory() as uow:
        payment = await uow.payments.get("KSR-check")
        assert payment is not None
        assert await uow.payments.claim_status_check(
            "KSR-check", now=NOW, min_interval=timedelta(seconds=30)
        )
        payment.fail(reason="refused", now=NOW)
        await uow.payments.update(payment)  # the claim did not bump the version
        await uow.commit()


async def test_a_status_check_claim_that_is_not_committed_is_not_kept(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _payment(uow_factory)
    async with uow_factory() as uow:
        assert await uow.payments.claim_status_check(
            "KSR-check", now=NOW, min_interval=timedelta(seconds=30)
        )
    assert await _claim(uow_factory, "KSR-check", NOW + timedelta(seconds=1)) is True


async def test_rejected_entries_past_the_cutoff_are_deleted_oldest_first_in_bounded_batches(
    uow_factory: UnitOfWorkFactory,
) -> None:
    old = NOW - timedelta(days=8)
    doomed = []
    for verdict in (Verification.REJECTED, Verification.SOURCE_NOT_ALLOWED, Verification.INVALID):
        entry = received(f"KSR-{verdict.value}", at=old)
        entry.verification = verdict
        doomed.append(entry)
    verified = received("KSR-verified", at=old)
    verified.verification = Verification.VERIFIED
    pending = received("KSR-received", at=old)  # never processed: not known to be rejected
    recent = received("KSR-recent", at=NOW)
    recent.verification = Verification.REJECTED
    await add_entries(uow_factory, *doomed, verified, pending, recent)
    cutoff = NOW - timedelta(days=7)

    async with uow_factory() as uow:
        first = await uow.inbox.delete_rejected(received_before=cutoff, limit=2)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        after_first = [await uow.inbox.get(entry.key) for entry in doomed]
    async with uow_factory() as uow:
        second = await uow.inbox.delete_rejected(received_before=cutoff, limit=2)
        await uow.commit()
    async with uow_factory() as uow:
        third = await uow.inbox.delete_rejected(received_before=cutoff, limit=2)
        await uow.rollback()
        left = [entry.attempt_id for entry in await uow.inbox.list(InboxFilter())]

    assert (first, second, third) == (2, 1, 0)
    assert after_first[:2] == [None, None]
    assert after_first[2] is not None
    assert left == ["KSR-recent", "KSR-received", "KSR-verified"]


async def test_a_deletion_rolled_back_deletes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    entry = received("KSR-rejected", at=NOW - timedelta(days=30))
    entry.verification = Verification.REJECTED
    await add_entries(uow_factory, entry)
    async with uow_factory() as uow:
        assert await uow.inbox.delete_rejected(received_before=NOW, limit=10) == 1
        assert await uow.inbox.get(entry.key) is None
        await uow.rollback()
    async with uow_factory(read_only=True) as uow:
        assert await uow.inbox.get(entry.key) == entry
