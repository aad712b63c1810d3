"""Reading an order with all its payment attempts."""

from dataclasses import dataclass

from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from domain.orders import Order, OrderStatus
from domain.payments import Payment


@dataclass(frozen=True, slots=True)
class OrderDetails:
    order: Order
    payments: list[Payment]


@dataclass(frozen=True, slots=True)
class GetOrder:
    """One order and its attempts, read in one consistent transaction."""

    uow: UnitOfWorkFactory

    async def execute(self, order_id: int) -> OrderDetails:
        async with self.uow(read_only=True) as uow:
            order = await uow.orders.get(order_id)
            if order is None:
                raise NotFound("order not found")
            return OrderDetails(order, await uow.payments.list_for_order(order_id))


@dataclass(frozen=True, slots=True)
class ListOrders:
    """Orders newest first, optionally by status, a page at a time."""

    uow: UnitOfWorkFactory

    async def execute(
        self, *, status: OrderStatus | None = None, before_id: int | None = None, limit: int = 50
    ) -> list[Order]:
        async with self.uow(read_only=True) as uow:
            return await uow.orders.list(status=status, before_id=before_id, limit=limit)
