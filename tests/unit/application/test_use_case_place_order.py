"""Placing an order and managing the menu it is placed from."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING

import pytest

from application.callers import Staff
from application.errors import NotFound
from application.tokens import token_matches
from application.use_cases.place_order import OrderItemRequest, PlaceOrderCommand
from domain.errors import InvalidAmount, InvalidMenuItem, InvalidOrder
from domain.events import OrderPlaced
from domain.orders import OrderLine, OrderStatus

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir, Menu


def _command(*lines: tuple[int, int]) -> PlaceOrderCommand:
    return PlaceOrderCommand(
        items=tuple(OrderItemRequest(item_id, quantity) for item_id, quantity in lines),
        table_number="12",
        customer_name="Sari",
    )


async def test_an_order_takes_names_and_prices_from_the_menu_and_totals_its_lines(
    kasir: Kasir, menu: Menu
) -> None:
    placed = await kasir.place_order.execute(_command((1, 2), (2, 3)))

    order = placed.order
    assert order.id == 1
    assert order.lines == (
        OrderLine(menu_item_id=1, name="Nasi goreng", unit_price=25_000, quantity=2),
        OrderLine(menu_item_id=2, name="Es teh manis", unit_price=5_000, quantity=3),
    )
    assert order.total == 65_000
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.placed_at == kasir.clock.now()
    assert (order.table_number, order.customer_name) == ("12", "Sari")
    assert kasir.order(1) == order
    assert kasir.events.published == [OrderPlaced(order_id=1, total=65_000)]


async def test_an_unknown_menu_item_is_not_found_without_echoing_ids_and_nothing_is_stored(
    kasir: Kasir, menu: Menu
) -> None:
    with pytest.raises(NotFound, match=r"^a menu item of the order was not found$"):
        await kasir.place_order.execute(_command((1, 1), (99, 1), (9, 2)))

    assert kasir.store.orders == {}
    assert kasir.events.published == []


async def test_the_same_item_asked_twice_becomes_one_line_with_the_summed_quantity(
    kasir: Kasir, menu: Menu
) -> None:
    placed = await kasir.place_order.execute(_command((1, 1), (2, 2), (1, 2)))

    assert [(line.menu_item_id, line.quantity) for line in placed.order.lines] == [(1, 3), (2, 2)]
    assert placed.order.total == 3 * 25_000 + 2 * 5_000


async def test_merged_quantities_above_the_maximum_are_rejected(kasir: Kasir, menu: Menu) -> None:
    with pytest.raises(InvalidOrder):
        await kasir.place_order.execute(_command((1, 60), (1, 40)))

    assert kasir.store.orders == {}


async def test_the_access_token_is_returned_once_and_only_its_hash_is_stored(
    kasir: Kasir, menu: Menu
) -> None:
    placed = await kasir.place_order.execute(_command((1, 1)))

    token = placed.access_token
    assert token == "secret-access-token-0001"
    stored = kasir.order(placed.order.key)
    assert stored.access_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token_matches(token, stored.access_token_hash)
    assert not token_matches("secret-access-token-0002", stored.access_token_hash)
    stored_text = [str(value) for value in dataclasses.asdict(stored).values()]
    assert all(token not in text for text in stored_text)
    assert token not in repr(stored)


@pytest.mark.parametrize("lines", [(), ((1, 0),), ((1, -2),), ((1, 100),)])
async def test_an_empty_order_or_a_bad_quantity_is_rejected_and_nothing_is_stored(
    kasir: Kasir, menu: Menu, lines: tuple[tuple[int, int], ...]
) -> None:
    with pytest.raises(InvalidOrder):
        await kasir.place_order.execute(_command(*lines))

    assert kasir.store.orders == {}
    assert kasir.events.published == []


async def test_an_unavailable_item_cannot_be_ordered(kasir: Kasir, menu: Menu) -> None:
    await kasir.update_menu_item.execute(2, caller=Staff("staff:sari"), available=False)

    with pytest.raises(InvalidOrder, match="not available"):
        await kasir.place_order.execute(_command((1, 1), (2, 1)))

    assert kasir.store.orders == {}


async def test_a_later_menu_price_change_does_not_alter_a_placed_order(
    kasir: Kasir, menu: Menu
) -> None:
    placed = await kasir.place_order.execute(_command((1, 2)))

    await kasir.update_menu_item.execute(
        1, caller=Staff("staff:sari"), name="Nasi goreng spesial", price=40_000
    )

    stored = kasir.order(placed.order.key)
    assert stored.lines == (OrderLine(1, "Nasi goreng", 25_000, 2),)
    assert stored.total == 50_000
    assert kasir.store.menu[1].price == 40_000


async def test_menu_items_are_stored_with_ids_and_listed_by_availability(kasir: Kasir) -> None:
    rice = await kasir.add_menu_item.execute(
        caller=Staff("staff:sari"), name="  Nasi uduk ", price=20_000
    )
    tea = await kasir.add_menu_item.execute(
        caller=Staff("staff:sari"), name="Teh tarik", price=8_000, available=False
    )

    assert (rice.id, rice.name, tea.id) == (1, "Nasi uduk", 2)
    assert await kasir.list_menu_items.execute() == [rice, tea]
    assert await kasir.list_menu_items.execute(available_only=True) == [rice]


async def test_an_invalid_menu_item_is_not_stored(kasir: Kasir) -> None:
    with pytest.raises(InvalidMenuItem):
        await kasir.add_menu_item.execute(caller=Staff("staff:sari"), name="Air putih", price=0)

    assert kasir.store.menu == {}


async def test_a_rejected_menu_update_changes_nothing(kasir: Kasir, menu: Menu) -> None:
    with pytest.raises(InvalidAmount):
        await kasir.update_menu_item.execute(
            1, caller=Staff("staff:sari"), name="Renamed", price=-1
        )

    assert kasir.store.menu[1] == menu.nasi_goreng


async def test_updating_an_unknown_menu_item_is_not_found(kasir: Kasir) -> None:
    with pytest.raises(NotFound):
        await kasir.update_menu_item.execute(5, caller=Staff("staff:sari"), price=1_000)
