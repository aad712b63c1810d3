"""Money that arrived for an order already paid or cancelled, and staff giving it back."""

from dataclasses import dataclass

from application.callers import Caller, Role, require_staff
from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from application.retry import retry_on_conflict
from domain.payments import Payment


@dataclass(frozen=True, slots=True)
class ListRefunds:
    """Payments whose money must be given back, newest first (staff)."""

    uow: UnitOfWorkFactory

    async def execute(
        self, *, caller: Caller, open_only: bool = True, limit: int = 100
    ) -> list[Payment]:
        require_staff(caller)
        async with self.uow(read_only=True) as uow:
            return await uow.payments.list_refunds(open_only=open_only, limit=limit)


@dataclass(frozen=True, slots=True)
class ResolveRefund:
    """A named staff member records that a required refund was made."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, order_uid: str, *, caller: Caller, note: str) -> Payment:
        """Raises Forbidden for a caller who is not staff, NotFound, or InvalidTransition when
        no refund is open for that payment."""
        staff = require_staff(caller, Role.ADMIN)
        return await retry_on_conflict(lambda: self._resolve(order_uid, staff.name, note))

    async def _resolve(self, order_uid: str, resolved_by: str, note: str) -> Payment:
        async with self.uow() as uow:
            payment = await uow.payments.get(order_uid, for_update=True)
            if payment is None:
                raise NotFound("payment not found")
            payment.resolve_refund(by=resolved_by, note=note, now=self.clock.now())
            await uow.payments.update(payment)
            await uow.commit()
        return payment
