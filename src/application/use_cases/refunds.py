"""Money that arrived for an order already paid or cancelled, and staff giving it back.

These are the routes that predate refund requests (`GET /api/v1/payments`,
`POST /api/v1/payments/{order_uid}/refund/resolve`); they keep working over the same
workflow: resolving a flagged payment's refund approves the system's refund request for it.
"""

from dataclasses import dataclass

from application.callers import Caller, Role, Staff, require_staff
from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from application.retry import retry_on_conflict
from application.use_cases.refund_requests import approve_flagged_refund
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
    """An admin records that a required refund was made, with a note (its reference): the
    system's refund request for that money is approved with it."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, attempt_id: str, *, caller: Caller, note: str) -> Payment:
        """Raises Forbidden for a caller who is not an admin, NotFound, InvalidTransition when
        no refund is open for that payment, or RefundReferenceRequired for a blank note."""
        admin = require_staff(caller, Role.ADMIN)
        return await retry_on_conflict(lambda: self._resolve(attempt_id, admin, note))

    async def _resolve(self, attempt_id: str, admin: Staff, note: str) -> Payment:
        async with self.uow() as uow:
            seen = await uow.payments.get(attempt_id)
            if seen is None:
                raise NotFound("payment not found")
            await uow.orders.get(seen.order_id, for_update=True)  # order row first
            payment = await uow.payments.get(attempt_id, for_update=True)
            if payment is None:
                raise NotFound("payment not found")
            approved = await approve_flagged_refund(uow, payment, admin, note, self.clock)
            if approved is None:
                # No request (flagged before requests existed and never backfilled): the flag
                # is resolved on its own, as before.
                payment.resolve_refund(by=admin.name, note=note, now=self.clock.now())
                await uow.payments.update(payment)
            else:
                payment = await uow.payments.get(attempt_id) or payment
            await uow.commit()
        return payment
