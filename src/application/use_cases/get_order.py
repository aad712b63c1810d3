"""Reading an order with all its payment attempts."""

from dataclasses import dataclass

from application.callers import Caller, require_order_access, require_staff
from application.ports import UnitOfWorkFactory
from domain.orders import Order, OrderStatus
from domain.payments import Payment


@dataclass(frozen=True, slots=True)
class OrderDetails:
    order: Order
    payments: list[Payment]


@dataclass(frozen=True, slots=True)
class GetOrder:
    """One order and its attempts, read in one consistent transaction, for staff or the holder
    of the order's token (anybody else is told the order does not exist)."""

    uow: UnitOfWorkFactory

    async def execute(self, order_id: int, *, caller: Caller) -> OrderDetails:
        async with self.uow(read_only=True) as uow:
            order = require_order_access(caller, await uow.orders.get(order_id))
            return OrderDetails(order, await uow.payments.list_for_order(order_id))


@dataclass(frozen=True, slots=True)
class ListOrders:
    """Orders newest first, optionally by status, a page at a time (staff)."""

    uow: UnitOfWorkFactory

    async def execute(
        self,
        *,
        caller: Caller,
        status: OrderStatus | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[Order]:
        require_staff(caller)
        async with self.uow(read_only=True) as uow:
            return await uow.orders.list(status=status, before_id=before_id, limit=limit)
