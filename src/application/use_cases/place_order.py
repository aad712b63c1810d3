"""A customer places an order; prices come from the menu, never from the client."""

from dataclasses import dataclass

from application.errors import NotFound
from application.ports import Clock, ReferenceGenerator, UnitOfWorkFactory
from application.tokens import hash_token
from domain.errors import InvalidOrder
from domain.menu import MenuItem
from domain.orders import Order


@dataclass(frozen=True, slots=True)
class OrderItemRequest:
    menu_item_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class PlaceOrderCommand:
    items: tuple[OrderItemRequest, ...]
    table_number: str | None = None
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """The order and its access token. The token is shown once: only its hash is stored."""

    order: Order
    access_token: str


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Places an order from menu items and quantities and hands out its access token."""

    uow: UnitOfWorkFactory
    clock: Clock
    references: ReferenceGenerator

    async def execute(self, command: PlaceOrderCommand) -> PlacedOrder:
        """Raises NotFound for an unknown menu item, InvalidOrder for bad lines."""
        token = self.references.new_access_token()
        async with self.uow() as uow:
            wanted = [line.menu_item_id for line in command.items]
            menu = await uow.menu.get_many(set(wanted))
            if set(wanted) - menu.keys():
                raise NotFound("a menu item of the order was not found")
            order = Order.place(
                items=_merged(command.items, menu),
                access_token_hash=hash_token(token),
                now=self.clock.now(),
                table_number=command.table_number,
                customer_name=command.customer_name,
            )
            await uow.orders.add(order)
            await uow.commit()
        return PlacedOrder(order=order, access_token=token)


def _merged(
    lines: tuple[OrderItemRequest, ...], menu: dict[int, MenuItem]
) -> list[tuple[MenuItem, int]]:
    """One line per menu item: the same item asked twice is one line with the summed quantity."""
    quantities: dict[int, int] = {}
    for line in lines:
        if isinstance(line.quantity, bool) or line.quantity < 1:
            raise InvalidOrder("quantity must be at least 1")
        quantities[line.menu_item_id] = quantities.get(line.menu_item_id, 0) + line.quantity
    return [(menu[item_id], quantity) for item_id, quantity in quantities.items()]
