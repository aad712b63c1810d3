"""Contract of the reads and writes a paying callback combines (one statement each where the
database allows), on the in-memory, SQLite and PostgreSQL adapters: the same results and the
same conditions as the separate reads and writes they stand for."""

from datetime import UTC, datetime, timedelta

import pytest

from application.errors import ConcurrentUpdate
from application.inbox import InboxEntry, Verification
from application.ports import UnitOfWorkFactory
from domain.menu import MenuItem
from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus
from domain.settlement import apply_gateway_success

NOW = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
BUDGET = timedelta(seconds=30)


async def pending_attempt(uow_factory: UnitOfWorkFactory, attempt_id: str = "KSR-1") -> Order:
    nasi = MenuItem.create(name="Nasi goreng", price=25_000)
    teh = MenuItem.create(name="Es teh", price=5_000)
    async with uow_factory() as uow:
        await uow.menu.add(nasi)
        await uow.menu.add(teh)
        order = Order.place(items=[(nasi, 2), (teh, 1)], access_token_hash="h", now=NOW)
        await uow.orders.add(order)
        payment = Payment.start_qris(order=order, attempt_id=attempt_id, now=NOW)
        payment.mark_issued(
            gateway_reference=f"REF-{attempt_id}",
            qr_string="qr",
            payment_url="https://pay.example/qr",
            expires_at=NOW + timedelta(minutes=15),
            now=NOW,
        )
        await uow.payments.add(payment)
        await uow.commit()
    return order


async def test_an_attempt_locked_with_its_order_reads_both_as_their_own_reads_do(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await pending_attempt(uow_factory)
    async with uow_factory() as uow:
        found = await uow.payments.lock_with_order("KSR-1")
        assert found is not None
        order, payment = found
        assert payment == await uow.payments.get("KSR-1")
        assert order == await uow.orders.get(payment.order_id)
        assert len(order.lines) == 2
        assert order.total == 55_000
        assert await uow.payments.lock_with_order("KSR-unknown") is None


async def test_a_payment_written_with_its_order_stores_both_and_bumps_both_versions(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await pending_attempt(uow_factory)
    async with uow_factory() as uow:
        found = await uow.payments.lock_with_order("KSR-1")
        assert found is not None
        order, payment = found
        apply_gateway_success(order=order, payment=payment, amount=55_000, now=NOW)
        await uow.payments.update_with_order(payment, order)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        stored_payment = await uow.payments.get("KSR-1")
        stored_order = await uow.orders.get(order.key)
    assert stored_payment == payment
    assert stored_order == order
    assert (payment.version, order.version) == (1, 1)
    assert (payment.status, order.status) == (PaymentStatus.SUCCEEDED, OrderStatus.PAID)


@pytest.mark.parametrize("changed", ["order", "payment"])
async def test_a_payment_written_with_its_order_from_a_stale_read_raises_and_changes_nothing(
    uow_factory: UnitOfWorkFactory, changed: str
) -> None:
    await pending_attempt(uow_factory)
    async with uow_factory(read_only=True) as uow:
        stale = await uow.payments.lock_with_order("KSR-1")
    assert stale is not None
    async with uow_factory() as uow:  # someone else writes meanwhile
        found = await uow.payments.lock_with_order("KSR-1")
        assert found is not None
        if changed == "order":
            await uow.orders.update(found[0])
        else:
            await uow.payments.update(found[1])
        await uow.commit()

    async with uow_factory() as uow:
        fresh = await uow.payments.lock_with_order("KSR-1")
        assert fresh is not None
        order, payment = (stale[0], fresh[1]) if changed == "order" else (fresh[0], stale[1])
        apply_gateway_success(order=order, payment=payment, amount=55_000, now=NOW)
        with pytest.raises(ConcurrentUpdate):
            await uow.payments.update_with_order(payment, order)

    async with uow_factory(read_only=True) as uow:
        stored = await uow.payments.lock_with_order("KSR-1")
    assert stored is not None
    assert stored[0].status is OrderStatus.AWAITING_PAYMENT
    assert stored[1].status is PaymentStatus.PENDING


def deferred_entry() -> InboxEntry:
    """An entry as the handler stores it when the budget turns out spent."""
    return InboxEntry(
        received_at=NOW,
        gateway="duitku",
        source_address="203.0.113.7",
        fields={"merchantOrderId": "KSR-1", "amount": "55000"},
        attempt_id="KSR-1",
        signature="abc123",
        verification=Verification.VERIFIED,
        signature_scheme="hmac",
        outcome="deferred",
        processed_at=NOW,
    )


async def store_claiming(uow_factory: UnitOfWorkFactory, entry: InboxEntry, at: datetime) -> bool:
    async with uow_factory() as uow:
        won = await uow.inbox.store_claiming_status_check(
            entry, attempt_id="KSR-1", now=at, min_interval=BUDGET
        )
        await uow.commit()
    return won


async def test_an_entry_stored_with_the_claim_is_being_processed_only_when_the_claim_is_won(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await pending_attempt(uow_factory)
    first, second, third = deferred_entry(), deferred_entry(), deferred_entry()

    assert await store_claiming(uow_factory, first, NOW) is True
    assert await store_claiming(uow_factory, second, NOW + timedelta(seconds=29)) is False
    assert await store_claiming(uow_factory, third, NOW + BUDGET) is True

    async with uow_factory(read_only=True) as uow:
        stored = [await uow.inbox.get(entry.key) for entry in (first, second, third)]
    assert stored == [first, second, third]
    assert [(e.outcome, e.processed_at) for e in (first, second, third)] == [
        (None, None),
        ("deferred", NOW),
        (None, None),
    ]


async def test_a_stored_entry_is_updated_with_the_claim_and_an_unknown_attempt_wins_none(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await pending_attempt(uow_factory)
    entry = deferred_entry()
    async with uow_factory() as uow:
        await uow.inbox.add(entry)
        await uow.commit()
    assert await store_claiming(uow_factory, entry, NOW) is True
    async with uow_factory() as uow:
        unknown = deferred_entry()
        assert not await uow.inbox.store_claiming_status_check(
            unknown, attempt_id="KSR-unknown", now=NOW, min_interval=BUDGET
        )
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.inbox.get(entry.key) == entry
        assert await uow.inbox.get(unknown.key) == unknown
    assert entry.outcome is None
    assert unknown.outcome == "deferred"
