"""Orders: lines copied from the menu, a computed total, and guarded status changes."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidOrder, InvalidTransition, OrderNotPayable
from domain.events import OrderCancelled, OrderPaid, OrderPlaced
from domain.menu import MenuItem
from domain.money import MAX_RUPIAH
from domain.orders import MAX_LINES, MAX_QUANTITY, Order, OrderLine, OrderStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def _item(item_id: int, name: str, price: int, *, available: bool = True) -> MenuItem:
    return MenuItem(id=item_id, name=name, price=price, available=available)


NASI = _item(1, "Nasi goreng", 25_000)
TEH = _item(2, "Es teh manis", 5_000)


def _place(*items: tuple[MenuItem, int]) -> Order:
    return Order.place(items=list(items), access_token_hash="hash", now=NOW)


def _stored(*items: tuple[MenuItem, int]) -> Order:
    order = _place(*(items or ((NASI, 2), (TEH, 1))))
    order.assign_id(7)
    order.events.clear()
    return order


def test_the_total_is_computed_from_the_lines() -> None:
    order = _place((NASI, 2), (TEH, 3))

    assert order.lines == (
        OrderLine(1, "Nasi goreng", 25_000, 2),
        OrderLine(2, "Es teh manis", 5_000, 3),
    )
    assert [line.subtotal for line in order.lines] == [50_000, 15_000]
    assert order.total == 65_000


def test_a_new_order_awaits_payment_and_records_nothing_until_it_is_stored() -> None:
    order = _place((NASI, 1))

    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.awaits_payment
    assert (order.id, order.placed_at, order.access_token_hash) == (None, NOW, "hash")
    assert order.events == []


def test_a_later_menu_change_does_not_alter_a_placed_order() -> None:
    item = _item(1, "Nasi goreng", 25_000)
    order = _place((item, 2))

    item.update(name="Nasi goreng spesial", price=40_000)

    assert order.lines == (OrderLine(1, "Nasi goreng", 25_000, 2),)
    assert order.total == 50_000


def test_an_order_needs_at_least_one_item() -> None:
    with pytest.raises(InvalidOrder, match=r"^an order needs at least one item$"):
        _place()


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1, True, 1.5, "2"])
def test_a_quantity_must_be_a_whole_number_from_1_to_99(quantity: int) -> None:
    with pytest.raises(InvalidOrder, match="quantity"):
        _place((NASI, quantity))


def test_a_quantity_of_99_is_accepted() -> None:
    assert _place((NASI, MAX_QUANTITY)).total == MAX_QUANTITY * 25_000


def test_an_unavailable_item_is_rejected() -> None:
    with pytest.raises(InvalidOrder, match="not available"):
        _place((NASI, 1), (_item(3, "Sate", 30_000, available=False), 1))


def test_an_item_that_was_never_stored_is_rejected() -> None:
    with pytest.raises(InvalidOrder, match=r"^menu item is not stored$"):
        _place((MenuItem(name="Sate", price=30_000), 1))


def test_an_order_has_at_most_100_lines() -> None:
    items = [(_item(i, f"Item {i}", 1_000), 1) for i in range(1, MAX_LINES + 2)]
    with pytest.raises(InvalidOrder, match="at most"):
        _place(*items)
    assert len(_place(*items[:MAX_LINES]).lines) == MAX_LINES


def test_an_order_total_above_the_money_limit_is_rejected() -> None:
    expensive = _item(9, "Emas", MAX_RUPIAH)
    with pytest.raises(InvalidOrder, match=r"^order total is too large$"):
        _place((expensive, 2))


def test_storing_an_order_gives_it_its_id_once_and_records_that_it_was_placed() -> None:
    order = _place((NASI, 2), (TEH, 1))

    order.assign_id(41)

    assert order.key == 41
    assert order.events == [OrderPlaced(order_id=41, total=55_000)]
    with pytest.raises(InvalidTransition, match=r"^order already has an id$"):
        order.assign_id(42)
    assert order.key == 41
    assert len(order.events) == 1


def test_an_unstored_order_has_no_key() -> None:
    with pytest.raises(InvalidTransition):
        _ = _place((NASI, 1)).key


def test_an_order_awaiting_payment_is_paid_by_one_attempt() -> None:
    order = _stored()

    order.mark_paid(attempt_id="KSR-1", now=LATER)

    assert order.status is OrderStatus.PAID
    assert (order.paid_at, order.paid_by_attempt) == (LATER, "KSR-1")
    assert order.events == [OrderPaid(order_id=7, attempt_id="KSR-1")]


def test_staff_cancel_an_order_awaiting_payment() -> None:
    order = _stored()

    order.cancel(by="staff:sari", now=LATER)

    assert order.status is OrderStatus.CANCELLED
    assert (order.cancelled_at, order.cancelled_by) == (LATER, "staff:sari")
    assert order.events == [OrderCancelled(order_id=7, cancelled_by="staff:sari")]


def test_a_paid_order_cannot_be_cancelled_and_stays_paid() -> None:
    order = _stored()
    order.mark_paid(attempt_id="KSR-1", now=NOW)
    order.events.clear()

    with pytest.raises(InvalidTransition, match="paid and cannot be cancelled"):
        order.cancel(by="staff:sari", now=LATER)

    assert order.status is OrderStatus.PAID
    assert (order.cancelled_at, order.cancelled_by) == (None, None)
    assert order.events == []


def test_a_cancelled_order_cannot_be_paid_and_stays_cancelled() -> None:
    order = _stored()
    order.cancel(by="staff:sari", now=NOW)
    order.events.clear()

    with pytest.raises(OrderNotPayable):
        order.mark_paid(attempt_id="KSR-1", now=LATER)

    assert order.status is OrderStatus.CANCELLED
    assert (order.paid_at, order.paid_by_attempt) == (None, None)
    assert order.events == []


def test_a_paid_order_is_never_paid_again() -> None:
    order = _stored()
    order.mark_paid(attempt_id="KSR-1", now=NOW)

    with pytest.raises(OrderNotPayable):
        order.mark_paid(attempt_id="KSR-2", now=LATER)

    assert (order.paid_by_attempt, order.paid_at) == ("KSR-1", NOW)
    assert order.events == [OrderPaid(order_id=7, attempt_id="KSR-1")]


def test_a_cancelled_order_cannot_be_cancelled_again() -> None:
    order = _stored()
    order.cancel(by="staff:sari", now=NOW)

    with pytest.raises(InvalidTransition):
        order.cancel(by="staff:budi", now=LATER)

    assert order.cancelled_by == "staff:sari"


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.CANCELLED])
def test_only_an_order_awaiting_payment_takes_a_payment(status: OrderStatus) -> None:
    order = _stored()
    order.ensure_payable()
    order.status = status

    with pytest.raises(OrderNotPayable, match=status.value):
        order.ensure_payable()


def test_an_unstored_order_is_neither_paid_nor_cancelled_halfway() -> None:
    order = _place((NASI, 1))

    with pytest.raises(InvalidTransition):
        order.mark_paid(attempt_id="KSR-1", now=NOW)
    with pytest.raises(InvalidTransition):
        order.cancel(by="staff:sari", now=NOW)

    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert (order.paid_by_attempt, order.cancelled_by) == (None, None)
