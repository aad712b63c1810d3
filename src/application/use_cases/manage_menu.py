"""Staff manage the menu: add an item, change it, list it."""

from dataclasses import dataclass

from application.callers import Caller, require_staff
from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from domain.menu import MenuItem


@dataclass(frozen=True, slots=True)
class AddMenuItem:
    """Staff add an item to the menu. Prices are whole rupiah and must be positive."""

    uow: UnitOfWorkFactory

    async def execute(
        self, *, caller: Caller, name: str, price: int, available: bool = True
    ) -> MenuItem:
        require_staff(caller)
        item = MenuItem.create(name=name, price=price, available=available)
        async with self.uow() as uow:
            await uow.menu.add(item)
            await uow.commit()
        return item


@dataclass(frozen=True, slots=True)
class UpdateMenuItem:
    """Staff change an item's name, price or availability; placed orders keep their prices."""

    uow: UnitOfWorkFactory

    async def execute(
        self,
        item_id: int,
        *,
        caller: Caller,
        name: str | None = None,
        price: int | None = None,
        available: bool | None = None,
    ) -> MenuItem:
        require_staff(caller)
        async with self.uow() as uow:
            item = await uow.menu.get(item_id)
            if item is None:
                raise NotFound("menu item not found")
            item.update(name=name, price=price, available=available)
            await uow.menu.update(item)
            await uow.commit()
        return item


@dataclass(frozen=True, slots=True)
class ListMenuItems:
    """The menu, optionally only what can be ordered now."""

    uow: UnitOfWorkFactory

    async def execute(self, *, available_only: bool = False) -> list[MenuItem]:
        async with self.uow(read_only=True) as uow:
            return await uow.menu.list(available_only=available_only)
