"""Issuing the receipt of a paid order, to staff or to the holder of the order's token."""

from dataclasses import dataclass

from application.callers import Caller, Staff, require_order_access
from application.errors import OrderNotPaid
from application.ports import Clock, ReceiptPrints, UnitOfWorkFactory
from application.receipts import Receipt, Restaurant, receipt_of
from domain.orders import OrderStatus


@dataclass(frozen=True, slots=True)
class GetReceipt:
    """The receipt of a paid order, counted as one more copy issued.

    Access is checked in the read of the order (a wrong token answers like an unknown order);
    an order that is not paid answers OrderNotPaid and counts no copy. The copy is counted in a
    short transaction of its own after the read: a paid order's receipt never changes.
    """

    uow: UnitOfWorkFactory
    prints: ReceiptPrints
    clock: Clock
    restaurant: Restaurant

    async def execute(self, order_id: int, *, caller: Caller) -> Receipt:
        async with self.uow(read_only=True) as uow:
            order = require_order_access(caller, await uow.orders.get(order_id))
            if order.status is not OrderStatus.PAID or order.paid_by_attempt is None:
                raise OrderNotPaid(f"order {order_id} is {order.status.value}: no receipt yet")
            paid_by = await uow.payments.get(order.paid_by_attempt)
            refunds = await uow.refunds.list_for_order(order.key)
        if paid_by is None:  # payments are never deleted: a broken invariant, not bad input
            raise RuntimeError(f"order {order_id} was paid by an attempt that does not exist")
        now = self.clock.now()
        number = await self.prints.record_print(order.key, now=now)
        return receipt_of(
            order,
            paid_by,
            refunds,
            restaurant=self.restaurant,
            print_number=number,
            printed_at=now,
            for_staff=isinstance(caller, Staff),
        )
