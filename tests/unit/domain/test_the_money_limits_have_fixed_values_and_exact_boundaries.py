"""The limits of the money rules are fixed numbers, and each one is the last value accepted.

Other tests state the limits relative to the constants, so a changed constant would pass them.
Here the literal values are pinned: one trillion rupiah fits a signed 64-bit column with room to
spare, 50 characters is Duitku's merchantOrderId limit, and the HTTP request schema
(entrypoints/http/schemas) repeats 1_000_000_000_000, 99, 100 and 120 as literals, so a changed
constant would make the API and the rules disagree.
"""

from datetime import UTC, datetime

import pytest

from domain.errors import InvalidAmount, InvalidMenuItem, InvalidOrder, InvalidTransition
from domain.menu import MAX_NAME_LENGTH, MenuItem
from domain.money import MAX_RUPIAH, rupiah
from domain.orders import MAX_LINES, MAX_QUANTITY, Order
from domain.payments import MAX_ATTEMPT_ID_LENGTH, Payment

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ONE_TRILLION = 1_000_000_000_000


def _place(*items: tuple[MenuItem, int]) -> Order:
    return Order.place(items=list(items), access_token_hash="hash", now=NOW)


def _item(item_id: int, price: int = 1_000) -> MenuItem:
    return MenuItem(id=item_id, name=f"Item {item_id}", price=price)


def test_the_limits_have_their_documented_values() -> None:
    assert (MAX_RUPIAH, MAX_QUANTITY, MAX_LINES, MAX_ATTEMPT_ID_LENGTH, MAX_NAME_LENGTH) == (
        ONE_TRILLION,
        99,
        100,
        50,
        120,
    )


def test_one_trillion_rupiah_is_the_largest_amount_of_money() -> None:
    assert rupiah(1_000_000_000_000) == 1_000_000_000_000
    with pytest.raises(InvalidAmount, match=r"^amount must be between 0 and 1000000000000 rupiah$"):
        rupiah(1_000_000_000_001)


def test_an_order_may_total_exactly_one_trillion_rupiah_but_not_one_more() -> None:
    assert _place((_item(1, 500_000_000_000), 2)).total == 1_000_000_000_000
    with pytest.raises(InvalidOrder, match=r"^order total is too large$"):
        _place((_item(1, 500_000_000_000), 2), (_item(2, 1), 1))


def test_a_line_takes_at_most_99_of_an_item() -> None:
    assert _place((_item(1), 99)).lines[0].quantity == 99
    with pytest.raises(InvalidOrder, match=r"^quantity must be between 1 and 99$"):
        _place((_item(1), 100))


def test_an_order_has_at_most_100_lines() -> None:
    assert len(_place(*((_item(i), 1) for i in range(1, 101))).lines) == 100
    with pytest.raises(InvalidOrder, match=r"^an order has at most 100 lines$"):
        _place(*((_item(i), 1) for i in range(1, 102)))


def test_a_merchant_order_id_has_at_most_50_characters() -> None:
    order = _place((_item(1), 1))
    order.assign_id(7)

    assert Payment.start_qris(order=order, attempt_id="K" * 50, now=NOW).attempt_id == "K" * 50
    with pytest.raises(InvalidTransition, match=r"^order_uid must be 1 to 50 characters$"):
        Payment.start_qris(order=order, attempt_id="K" * 51, now=NOW)


def test_a_menu_item_name_has_at_most_120_characters() -> None:
    assert MenuItem.create(name="x" * 120, price=1_000).name == "x" * 120
    with pytest.raises(InvalidMenuItem, match=r"^name must be 1 to 120 characters$"):
        MenuItem.create(name="x" * 121, price=1_000)
