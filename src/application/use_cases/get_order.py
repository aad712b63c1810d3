"""Reading an order with all its payment attempts, and the staff list of orders."""

from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo

from application.callers import Caller, require_order_access, require_staff
from application.errors import InvalidQuery
from application.ports import UnitOfWorkFactory
from application.reports import OrderCursor, OrderFilter, decode_cursor, encode_cursor
from domain.business_day import day_window
from domain.orders import Order
from domain.payments import Payment


@dataclass(frozen=True, slots=True)
class OrderDetails:
    order: Order
    payments: list[Payment]


@dataclass(frozen=True, slots=True)
class GetOrder:
    """One order and its attempts, read together (one statement on SQL), for staff or the
    holder of the order's token (anybody else is told the order does not exist: the token is
    checked against the row just read, before anything is handed out)."""

    uow: UnitOfWorkFactory

    async def execute(self, order_id: int, *, caller: Caller) -> OrderDetails:
        async with self.uow(read_only=True) as uow:
            found = await uow.orders.get_with_payments(order_id)
        order, payments = found if found is not None else (None, [])
        return OrderDetails(require_order_access(caller, order), payments)


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of the order list; `next_cursor` continues it (None on the last page)."""

    orders: list[Order]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ListOrders:
    """Orders newest first by (placed_at, id), filtered, a page at a time (staff).

    `date_from`/`date_to` are local dates in the restaurant's zone, both inclusive (the
    business day of domain.business_day). `cursor` is the opaque `next_cursor` of the page
    before. A range that ends before it starts, or a cursor kasir did not hand out, raises
    InvalidQuery before anything is read.
    """

    uow: UnitOfWorkFactory
    zone: tzinfo

    async def execute(
        self,
        *,
        caller: Caller,
        where: OrderFilter | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> OrderPage:
        require_staff(caller)
        where = where or OrderFilter()
        if date_from is not None or date_to is not None:
            placed_from, placed_before = self._placed_between(date_from, date_to)
            where = replace(where, placed_from=placed_from, placed_before=placed_before)
        if cursor is not None:
            where = replace(where, after=decode_cursor(cursor))
        async with self.uow(read_only=True) as uow:
            orders = await uow.orders.list(where, limit=limit)
        last = orders[-1] if len(orders) == limit and orders else None
        next_cursor = None if last is None else encode_cursor(OrderCursor(last.placed_at, last.key))
        return OrderPage(orders, next_cursor)

    def _placed_between(
        self, date_from: date | None, date_to: date | None
    ) -> tuple[datetime | None, datetime | None]:
        if date_from is not None and date_to is not None and date_to < date_from:
            raise InvalidQuery("date_to is before date_from")
        try:
            return (
                None if date_from is None else day_window(date_from, self.zone)[0],
                None if date_to is None else day_window(date_to, self.zone)[1],
            )
        except ValueError as error:
            raise InvalidQuery(str(error)) from None
