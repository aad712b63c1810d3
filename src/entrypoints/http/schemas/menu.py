"""Menu item schemas."""

import msgspec

from domain.menu import MenuItem
from entrypoints.http.schemas.constraints import Id, Name, Price


class CreateMenuItemRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    price: Price
    available: bool = True


class UpdateMenuItemRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | None = None
    price: Price | None = None
    available: bool | None = None


class MenuItemResponse(msgspec.Struct, kw_only=True):
    id: Id
    name: str
    price: int
    available: bool

    @classmethod
    def of(cls, item: MenuItem) -> "MenuItemResponse":
        return cls(id=item.id or 0, name=item.name, price=item.price, available=item.available)
