"""Staff manage the menu: add an item, change it, list it."""

from dataclasses import dataclass

from application.audit import audit_record
from application.callers import Caller, Role, require_staff
from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from domain.menu import MenuItem


@dataclass(frozen=True, slots=True)
class AddMenuItem:
    """Admins add an item to the menu. Prices are whole rupiah and must be positive."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(
        self, *, caller: Caller, name: str, price: int, available: bool = True
    ) -> MenuItem:
        require_staff(caller, Role.ADMIN)
        item = MenuItem.create(name=name, price=price, available=available)
        async with self.uow() as uow:
            await uow.menu.add(item)
            await uow.audit.append(
                audit_record(
                    caller,
                    "menu_item.added",
                    f"menu_item:{item.id}",
                    at=self.clock.now(),
                    after=_view(item),
                )
            )
            await uow.commit()
        return item


@dataclass(frozen=True, slots=True)
class UpdateMenuItem:
    """Admins change an item's name, price or availability; placed orders keep their prices.
    Each change is audited with the item before and after."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(
        self,
        item_id: int,
        *,
        caller: Caller,
        name: str | None = None,
        price: int | None = None,
        available: bool | None = None,
    ) -> MenuItem:
        require_staff(caller, Role.ADMIN)
        async with self.uow() as uow:
            item = await uow.menu.get(item_id)
            if item is None:
                raise NotFound("menu item not found")
            before = _view(item)
            item.update(name=name, price=price, available=available)
            await uow.menu.update(item)
            await uow.audit.append(
                audit_record(
                    caller,
                    "menu_item.changed",
                    f"menu_item:{item.id}",
                    at=self.clock.now(),
                    before=before,
                    after=_view(item),
                )
            )
            await uow.commit()
        return item


@dataclass(frozen=True, slots=True)
class ListMenuItems:
    """The menu, optionally only what can be ordered now."""

    uow: UnitOfWorkFactory

    async def execute(self, *, available_only: bool = False) -> list[MenuItem]:
        async with self.uow(read_only=True) as uow:
            return await uow.menu.list(available_only=available_only)


def _view(item: MenuItem) -> dict[str, str | int | bool]:
    return {"name": item.name, "price": item.price, "available": item.available}
