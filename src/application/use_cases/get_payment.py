"""Reading one payment attempt by its merchant order id."""

from dataclasses import dataclass

from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from domain.payments import Payment


@dataclass(frozen=True, slots=True)
class GetPayment:
    """The attempt and its status; the unguessable `order_uid` is the capability to read it."""

    uow: UnitOfWorkFactory

    async def execute(self, order_uid: str) -> Payment:
        async with self.uow(read_only=True) as uow:
            payment = await uow.payments.get(order_uid)
        if payment is None:
            raise NotFound(f"payment {order_uid} not found")
        return payment
