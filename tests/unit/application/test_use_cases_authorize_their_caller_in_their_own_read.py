"""Use cases receive the caller and authorize it themselves: staff act on every order, a
customer only on the order whose token they hold, and a wrong or missing token looks exactly
like an unknown order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from application.callers import (
    Anonymous,
    Caller,
    OrderTokenHolder,
    Role,
    Staff,
    System,
    require_order_access,
    require_staff,
)
from application.errors import Forbidden, NotFound
from application.gateway import Customer
from application.inbox import InboxFilter
from application.use_cases.start_qris_payment import StartQrisPaymentCommand

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

    from domain.orders import Order

CUSTOMER = Customer(name="Budi", email="budi@example.test")
FIRST_TOKEN = "secret-access-token-0001"  # the `order` fixture is the first order placed
STRANGERS: list[Caller] = [OrderTokenHolder.presenting("secret-access-token-0002"), Anonymous()]


def command(order: Order) -> StartQrisPaymentCommand:
    return StartQrisPaymentCommand(order_id=order.key, amount=order.total, customer=CUSTOMER)


@pytest.mark.parametrize(
    "caller",
    [OrderTokenHolder.presenting(FIRST_TOKEN), Staff("staff:sari"), System("reconciliation")],
)
async def test_the_token_holder_staff_and_the_system_may_start_a_qris_payment(
    kasir: Kasir, order: Order, caller: Caller
) -> None:
    started = await kasir.start_qris_payment.execute(command(order), caller=caller)

    assert started.created


@pytest.mark.parametrize("caller", STRANGERS)
async def test_a_wrong_or_missing_token_is_told_the_order_does_not_exist_and_nothing_happens(
    kasir: Kasir, order: Order, caller: Caller
) -> None:
    with pytest.raises(NotFound) as refused:
        await kasir.start_qris_payment.execute(command(order), caller=caller)
    with pytest.raises(NotFound) as unknown:
        await kasir.get_order.execute(99, caller=Staff("staff:sari"))

    assert refused.value.message == unknown.value.message == "order not found"
    assert kasir.store.payments == {}
    assert kasir.gateway.create_requests == []
    assert kasir.uow.commits == []


@pytest.mark.parametrize("caller", STRANGERS)
async def test_only_the_token_holder_and_staff_read_an_order(
    kasir: Kasir, order: Order, caller: Caller
) -> None:
    holder = OrderTokenHolder.presenting(FIRST_TOKEN)

    assert (await kasir.get_order.execute(order.key, caller=holder)).order.key == order.key
    with pytest.raises(NotFound, match=r"^order not found$"):
        await kasir.get_order.execute(order.key, caller=caller)


STAFF_ACTIONS: dict[str, Callable[[Kasir, Order, Caller], Awaitable[Any]]] = {
    "add a menu item": lambda k, o, c: k.add_menu_item.execute(caller=c, name="Sate", price=1),
    "change a menu item": lambda k, o, c: k.update_menu_item.execute(1, caller=c, price=1),
    "list orders": lambda k, o, c: k.list_orders.execute(caller=c),
    "cancel": lambda k, o, c: k.cancel_order.execute(o.key, reason="the table left", caller=c),
    "take cash": lambda k, o, c: k.pay_cash.execute(o.key, tendered=o.total, caller=c),
    "list refunds": lambda k, o, c: k.list_refunds.execute(caller=c),
    "resolve a refund": lambda k, o, c: k.resolve_refund.execute("KSR-X", caller=c, note="x"),
    "list notifications": lambda k, o, c: k.list_notifications.execute(InboxFilter(), caller=c),
    "list payments to review": lambda k, o, c: k.list_payments_needing_review.execute(caller=c),
    "resolve a review": lambda k, o, c: k.resolve_payment_review.execute(
        "KSR-X", caller=c, note="x"
    ),
}


@pytest.mark.parametrize("action", STAFF_ACTIONS, ids=str)
@pytest.mark.parametrize(
    "caller", [OrderTokenHolder.presenting(FIRST_TOKEN), Anonymous(), System("job")], ids=repr
)
async def test_staff_actions_refuse_every_caller_who_is_not_staff_and_change_nothing(
    kasir: Kasir, order: Order, action: str, caller: Caller
) -> None:
    before = kasir.snapshot()

    with pytest.raises(Forbidden):
        await STAFF_ACTIONS[action](kasir, order, caller)

    assert kasir.snapshot() == before
    assert kasir.uow.commits == []


ADMIN_ONLY = ["add a menu item", "change a menu item", "resolve a refund", "resolve a review"]
CASHIER = Staff("sari", Role.CASHIER, staff_id="account:2")


@pytest.mark.parametrize("action", ADMIN_ONLY)
async def test_admin_actions_refuse_a_cashier_and_change_nothing(
    kasir: Kasir, order: Order, action: str
) -> None:
    before = kasir.snapshot()

    with pytest.raises(Forbidden, match="cashier"):
        await STAFF_ACTIONS[action](kasir, order, CASHIER)

    assert kasir.snapshot() == before
    assert kasir.uow.commits == []


@pytest.mark.parametrize("action", [a for a in STAFF_ACTIONS if a not in ADMIN_ONLY])
async def test_a_cashier_takes_payments_voids_orders_and_reads_what_needs_a_human(
    kasir: Kasir, order: Order, action: str
) -> None:
    await kasir.open_drawers(CASHIER)  # her till: the cash she takes goes into it
    await STAFF_ACTIONS[action](kasir, order, CASHIER)  # no Forbidden


def test_a_caller_never_holds_the_order_token_itself() -> None:
    holder = OrderTokenHolder.presenting(FIRST_TOKEN)

    assert FIRST_TOKEN not in repr(holder)
    assert holder.token_hash != FIRST_TOKEN


async def test_the_checks_hand_back_what_they_checked(order: Order) -> None:
    sari = Staff("staff:sari")

    assert require_staff(sari) is sari
    assert require_order_access(sari, order) is order
    with pytest.raises(NotFound):
        require_order_access(sari, None)
