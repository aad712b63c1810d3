"""The cashier takes cash for an order."""

from dataclasses import dataclass

from application.errors import NotFound
from application.events import drain
from application.ports import Clock, EventPublisher, ReferenceGenerator, UnitOfWorkFactory
from application.retry import retry_on_conflict
from domain.payments import Payment
from domain.settlement import take_cash


@dataclass(frozen=True, slots=True)
class PayCash:
    """Records a cash payment of the order total by a named staff member.

    The order's open QRIS attempt is cancelled in the same transaction, so the order is paid
    once; if that QR is paid anyway, the late success is flagged for refund.
    """

    uow: UnitOfWorkFactory
    clock: Clock
    references: ReferenceGenerator
    events: EventPublisher

    async def execute(self, order_id: int, *, tendered: int, taken_by: str) -> Payment:
        """Raises NotFound, OrderNotPayable, or InsufficientCash when tendered < total."""
        return await retry_on_conflict(lambda: self._pay(order_id, tendered, taken_by))

    async def _pay(self, order_id: int, tendered: int, taken_by: str) -> Payment:
        async with self.uow() as uow:
            order = await uow.orders.get(order_id, for_update=True)
            if order is None:
                raise NotFound(f"order {order_id} not found")
            open_qris = await uow.payments.find_open_qris(order_id)
            payment = take_cash(
                order=order,
                open_qris=open_qris,
                order_uid=self.references.new_order_uid(),
                tendered=tendered,
                taken_by=taken_by,
                now=self.clock.now(),
            )
            if open_qris is not None:
                await uow.payments.update(open_qris)
            await uow.payments.add(payment)
            await uow.orders.update(order)
            await uow.commit()
        await self.events.publish(drain(open_qris, payment, order))
        return payment
