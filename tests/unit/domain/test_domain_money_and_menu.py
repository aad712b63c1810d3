"""Money is whole non-negative rupiah; menu items have a name and a positive price."""

import pytest

from domain.errors import InvalidAmount, InvalidMenuItem
from domain.menu import MAX_NAME_LENGTH, MenuItem
from domain.money import MAX_RUPIAH, rupiah


@pytest.mark.parametrize("value", [0, 1, 25_000, MAX_RUPIAH])
def test_money_is_any_whole_non_negative_number_of_rupiah(value: int) -> None:
    assert rupiah(value) == value


@pytest.mark.parametrize("value", [True, False])
def test_money_rejects_a_bool_although_bool_is_an_int(value: bool) -> None:
    with pytest.raises(InvalidAmount):
        rupiah(value)


@pytest.mark.parametrize("value", [25_000.0, 0.5, "25000", None])
def test_money_rejects_anything_that_is_not_an_int(value: object) -> None:
    with pytest.raises(InvalidAmount, match="whole number"):
        rupiah(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, -25_000, MAX_RUPIAH + 1])
def test_money_rejects_negative_or_implausibly_large_amounts(value: int) -> None:
    with pytest.raises(InvalidAmount, match="between 0 and"):
        rupiah(value)


def test_the_money_error_names_what_was_wrong_and_has_a_stable_code() -> None:
    with pytest.raises(InvalidAmount, match=r"^price must") as caught:
        rupiah(-5, what="price")
    assert caught.value.code == "invalid_amount"
    # The HTTP error body shows `message`, so it must be the same readable text.
    assert caught.value.message == str(caught.value) == caught.value.args[0]


def test_a_new_menu_item_is_unstored_available_and_has_a_trimmed_name() -> None:
    item = MenuItem.create(name="  Nasi goreng  ", price=25_000)

    assert item == MenuItem(id=None, name="Nasi goreng", price=25_000, available=True)


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME_LENGTH + 1)])
def test_a_menu_item_needs_a_name_of_1_to_120_characters(name: str) -> None:
    with pytest.raises(InvalidMenuItem):
        MenuItem.create(name=name, price=1_000)


def test_a_menu_item_name_of_exactly_120_characters_is_accepted() -> None:
    assert MenuItem.create(name="x" * MAX_NAME_LENGTH, price=1_000).name == "x" * MAX_NAME_LENGTH


def test_a_menu_item_price_of_zero_is_rejected() -> None:
    with pytest.raises(InvalidMenuItem, match=r"^price must be more than 0 rupiah$"):
        MenuItem.create(name="Air putih", price=0)


@pytest.mark.parametrize("price", [-1, 2_500.5, True])
def test_a_menu_item_price_must_be_whole_non_negative_rupiah(price: int) -> None:
    with pytest.raises(InvalidAmount, match=r"^price must be "):
        MenuItem.create(name="Kerupuk", price=price)


def test_updating_a_menu_item_changes_only_what_is_given() -> None:
    item = MenuItem(id=3, name="Sate ayam", price=30_000)

    item.update(price=32_000)
    assert item == MenuItem(id=3, name="Sate ayam", price=32_000, available=True)
    item.update(name=" Sate kambing ", available=False)
    assert item == MenuItem(id=3, name="Sate kambing", price=32_000, available=False)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"name": "Renamed", "price": 0}, InvalidMenuItem, "^price must be more than 0"),
        ({"name": "Renamed", "price": -1}, InvalidAmount, "^price must be between"),
        ({"name": "  ", "price": 40_000}, InvalidMenuItem, "^name must be"),
        ({"price": 40_000, "name": "", "available": False}, InvalidMenuItem, "^name must be"),
    ],
)
def test_a_rejected_menu_update_changes_nothing_at_all(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    item = MenuItem(id=3, name="Sate ayam", price=30_000)

    with pytest.raises(error, match=message):
        item.update(**changes)  # type: ignore[arg-type]

    assert item == MenuItem(id=3, name="Sate ayam", price=30_000, available=True)
