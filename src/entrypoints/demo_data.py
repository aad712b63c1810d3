"""A small demo menu and a demo admin in simulated modes, so `make run` can be tried at once."""

import secrets

from application.callers import Role, System
from application.ports import UnitOfWorkFactory
from application.use_cases.manage_staff import AddStaff, ChangeStaff
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


DEMO_ADMIN = "demo-admin"
_DEMO = System("demo")


async def demo_admin_password(add_staff: AddStaff, change_staff: ChangeStaff) -> str:
    """A fresh random password for the demo admin of this run (added when missing), printed at
    start-up as a ready local login. Only ever called in simulated modes."""
    password = secrets.token_urlsafe(12)
    async with add_staff.uow(read_only=True) as uow:
        existing = await uow.staff.find_by_name(DEMO_ADMIN)
    if existing is None or existing.id is None:
        await add_staff.execute(caller=_DEMO, name=DEMO_ADMIN, role=Role.ADMIN, password=password)
    else:
        await change_staff.execute(
            existing.id, caller=_DEMO, role=Role.ADMIN, active=True, password=password
        )
    return password
