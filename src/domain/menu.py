"""Menu items: what a customer can order, at which price."""

from dataclasses import dataclass

from domain.errors import InvalidMenuItem
from domain.money import rupiah

MAX_NAME_LENGTH = 120


def _valid_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidMenuItem(f"name must be 1 to {MAX_NAME_LENGTH} characters")
    return cleaned


@dataclass(slots=True, kw_only=True)
class MenuItem:
    """A dish or drink on the menu. `id` is None until the menu repository stores it."""

    id: int | None = None
    name: str
    price: int
    available: bool = True

    @classmethod
    def create(cls, *, name: str, price: int, available: bool = True) -> "MenuItem":
        """A new menu item; the price is a positive whole number of rupiah."""
        price = rupiah(price, what="price")
        if price == 0:
            raise InvalidMenuItem("price must be more than 0 rupiah")
        return cls(name=_valid_name(name), price=price, available=available)

    def update(
        self, *, name: str | None = None, price: int | None = None, available: bool | None = None
    ) -> None:
        """Change what is given; orders already placed keep the price they were placed at."""
        new_name = _valid_name(name) if name is not None else self.name
        if price is not None and rupiah(price, what="price") == 0:
            raise InvalidMenuItem("price must be more than 0 rupiah")
        self.name = new_name
        if price is not None:
            self.price = price
        if available is not None:
            self.available = available
