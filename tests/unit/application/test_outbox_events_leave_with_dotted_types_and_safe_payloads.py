"""Which domain events leave kasir, under which dotted type, and what their payload shows."""

import typing
from datetime import UTC, datetime

import pytest

from application.outbox import (
    ALL_EVENT_TYPES,
    EVENT_TYPES,
    STAFF_ONLY_EVENTS,
    drafts_for,
    event_type,
    payment_ref,
)
from domain.events import (
    DomainEvent,
    OrderPaid,
    PaymentFlaggedForReview,
    RefundApproved,
    RefundMade,
    RefundRejected,
    RefundRequested,
    RefundRequired,
    ShiftOpened,
)
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import Payment

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
REQUIRED = {
    "order.placed",
    "order.paid",
    "order.cancelled",
    "payment.qr_issued",
    "payment.expired",
    "payment.failed",
    "payment.refund_required",
}


def test_every_domain_event_is_either_published_or_declared_staff_only() -> None:
    every = set(typing.get_args(DomainEvent))
    assert set(EVENT_TYPES) | STAFF_ONLY_EVENTS == every
    assert not set(EVENT_TYPES) & STAFF_ONLY_EVENTS


def test_the_required_types_exist_and_are_dotted() -> None:
    assert set(ALL_EVENT_TYPES) >= REQUIRED
    for name in ALL_EVENT_TYPES:
        subject, _, verb = name.partition(".")
        assert subject in ("order", "payment", "refund")
        assert verb.islower()


def test_a_staff_only_event_has_no_type() -> None:
    assert event_type(PaymentFlaggedForReview("KSR-1", "still_open", "detail")) is None


def order_and_attempt() -> tuple[Order, Payment]:
    item = MenuItem(id=1, name="Sate", price=25_000)
    order = Order.place(
        items=[(item, 2)], access_token_hash="hash-of-token", now=NOW, customer_name="Budi"
    )
    order.assign_id(9)
    order.events.clear()
    attempt = Payment.take_cash(
        order=order, attempt_id="KSR-cash", tendered=60_000, taken_by="alice", shift_id=1, now=NOW
    )
    attempt.events.clear()
    return order, attempt


async def no_read(_: object) -> None:
    raise AssertionError("read the aggregate the unit of work already holds")


async def test_a_payload_shows_the_order_and_the_payment_concerned_and_nothing_secret() -> None:
    order, attempt = order_and_attempt()
    order.mark_paid(attempt_id=attempt.attempt_id, now=NOW)
    events = [
        (order.events[0], order),
        (RefundRequired("KSR-cash", 9, 60_000, "paid twice"), None),
    ]
    ids = iter(["evt_a", "evt_b"])
    drafts = await drafts_for(
        events,
        now=NOW,
        new_id=lambda: next(ids),
        describe_order=no_read,
        get_payment=lambda uid: _found(attempt),
    )
    assert [d.type for d in drafts] == ["order.paid", "payment.refund_required"]
    payload = drafts[0].payload_with(4)
    assert payload == {
        "id": "evt_a",
        "type": "order.paid",
        "occurred_at": "2026-03-04T05:06:07Z",
        "seq": 4,
        "order": {"id": 9, "status": "paid", "total": 50_000, "table_number": None},
        "payment": drafts[0].payment,
    }
    assert drafts[0].payment is not None
    assert drafts[0].payment["id"] == payment_ref("KSR-cash")
    shown = repr([d.payload_with(1) for d in drafts])
    for hidden in ("KSR-cash", "alice", "Budi", "hash-of-token", "change"):
        assert hidden not in shown


async def _found(attempt: Payment) -> Payment:
    return attempt


async def test_an_event_of_an_order_that_is_not_stored_fails_instead_of_vanishing() -> None:
    async def missing(_: object) -> None:
        return None

    with pytest.raises(LookupError):
        await drafts_for(
            [(OrderPaid(404, "KSR-x"), None)],
            now=NOW,
            new_id=lambda: "evt",
            describe_order=missing,
            get_payment=missing,
        )


@pytest.mark.parametrize(
    ("event", "refund"),
    [
        (
            RefundRequested(4, 9, 20_000, "cash", "account:3"),
            {"id": 4, "amount": 20_000, "status": "requested", "method": "cash"},
        ),
        (
            RefundApproved(4, 9, 20_000, "account:1"),
            {"id": 4, "amount": 20_000, "status": "approved", "method": None},
        ),
        (
            RefundRejected(4, 9, 20_000, "account:1"),
            {"id": 4, "amount": 20_000, "status": "rejected", "method": None},
        ),
        (
            RefundMade(4, 9, 20_000, "qris", None, "BCA-TRF-0001"),
            {"id": 4, "amount": 20_000, "status": "made", "method": "qris"},
        ),
    ],
)
async def test_a_refunds_steps_leave_with_its_amount_never_who_decided_or_the_reference(
    event: DomainEvent, refund: dict[str, object]
) -> None:
    order, _ = order_and_attempt()

    (draft,) = await drafts_for(
        [(event, order)],
        now=NOW,
        new_id=lambda: "evt_1",
        describe_order=no_read,
        get_payment=no_read,
    )

    payload = draft.payload_with(1)
    assert payload["type"].startswith("refund.")
    assert payload["refund"] == refund
    assert payload["order"]["id"] == 9
    assert "account:" not in str(payload)
    assert "BCA-TRF" not in str(payload)


def test_the_cash_drawer_stays_inside_kasir() -> None:
    assert event_type(ShiftOpened(1, "account:3", 100_000)) is None
