"""Fixtures for the application's unit tests: kasir on in-memory fakes (tests/support)."""

import pytest
from tests.support.kasir_on_fakes import Kasir, Menu

from application.callers import Staff
from domain.orders import Order
from domain.payments import Payment

# The staff members these tests take cash as: cash goes into a drawer, so each has a shift.
CASHIERS = (Staff("staff:sari"), Staff("staff:budi"), Staff("siti"))


@pytest.fixture
async def kasir() -> Kasir:
    """kasir on fakes, with an open shift (float 0) for each of CASHIERS."""
    kasir = Kasir()
    await kasir.open_drawers(*CASHIERS)
    kasir.forget_history()
    return kasir


@pytest.fixture
async def menu(kasir: Kasir) -> Menu:
    return Menu(
        nasi_goreng=await kasir.add_menu_item.execute(
            caller=Staff("staff:sari"), name="Nasi goreng", price=25_000
        ),
        es_teh=await kasir.add_menu_item.execute(
            caller=Staff("staff:sari"), name="Es teh manis", price=5_000
        ),
    )


@pytest.fixture
async def order(kasir: Kasir, menu: Menu) -> Order:
    """An order awaiting payment: 2 x nasi goreng + 1 x es teh = 55 000 rupiah."""
    placed = await kasir.place((menu.nasi_goreng, 2), (menu.es_teh, 1))
    kasir.forget_history()
    return placed


@pytest.fixture
async def attempt(kasir: Kasir, order: Order) -> Payment:
    """The order's QRIS attempt, issued by the gateway and pending."""
    started = await kasir.start(order)
    kasir.forget_history()
    return started.payment
