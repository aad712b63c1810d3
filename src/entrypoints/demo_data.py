"""A small demo menu for a fresh database in simulated modes, so `make run` can be tried at once."""

from application.ports import UnitOfWorkFactory
from domain.menu import MenuItem

DEMO_MENU = (
    ("Nasi Goreng Spesial", 35_000),
    ("Mie Ayam Bakso", 28_000),
    ("Sate Ayam (10 tusuk)", 40_000),
    ("Gado-Gado", 25_000),
    ("Es Teh Manis", 8_000),
    ("Es Jeruk", 12_000),
)


async def seed_demo_menu(uow: UnitOfWorkFactory) -> int:
    """Add the demo menu when the menu is empty; returns how many items were added."""
    async with uow() as tx:
        if await tx.menu.list():
            return 0
        for name, price in DEMO_MENU:
            await tx.menu.add(MenuItem.create(name=name, price=price))
        await tx.commit()
    return len(DEMO_MENU)
