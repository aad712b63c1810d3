"""Staff void an unpaid order with a reason; its open QRIS attempt is cancelled with it."""

from dataclasses import dataclass

from application.audit import audit_record
from application.callers import Caller, Staff
from application.errors import NotFound
from application.gateway_cancellation import withdraw_closed_qr
from application.gateways import Gateways
from application.ports import Clock, UnitOfWorkFactory
from application.retry import retry_on_conflict
from application.shift_access import require_drawer_staff
from domain.orders import Order
from domain.payments import Payment
from domain.shifts import MAX_REASON_LENGTH, required_text


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """A cashier or an admin voids an order that awaits payment, saying why. The open QRIS
    attempt is closed with it: its QR is never shown again, money arriving later is flagged
    for refund, and where the attempt's gateway can cancel a QR it is asked to after the void
    is committed (application.gateway_cancellation); a failed cancel changes nothing kasir
    decided."""

    uow: UnitOfWorkFactory
    clock: Clock
    gateways: Gateways  # the closed attempt's own gateway is asked to withdraw its QR

    async def execute(self, order_id: int, *, reason: str | None, caller: Caller) -> Order:
        """Raises Forbidden for a caller who is not staff, ReasonRequired for a missing or
        blank reason, NotFound, or InvalidTransition when the order is paid or cancelled."""
        staff = require_drawer_staff(caller)
        why = required_text(reason or "", what="reason", limit=MAX_REASON_LENGTH)
        order, closed_qr = await retry_on_conflict(lambda: self._cancel(order_id, staff, why))
        await withdraw_closed_qr(self.gateways, closed_qr)
        return order

    async def _cancel(
        self, order_id: int, staff: Staff, reason: str
    ) -> tuple[Order, Payment | None]:
        now = self.clock.now()
        async with self.uow() as uow:
            order = await uow.orders.get(order_id, for_update=True)
            if order is None:
                raise NotFound("order not found")
            order.cancel(by=staff.name, now=now, reason=reason)
            await uow.orders.update(order)  # its event first: the order was cancelled
            attempt = await uow.payments.find_open_qris(order_id)
            if attempt is not None:
                attempt.cancel(reason="order cancelled", now=now)
                await uow.payments.update(attempt)
            await uow.audit.append(
                audit_record(
                    staff,
                    "order.voided",
                    f"order:{order_id}",
                    at=now,
                    before={"status": "awaiting_payment"},
                    after={
                        "status": order.status.value,
                        "reason": reason,
                        "closed_attempt": attempt.attempt_id if attempt else None,
                    },
                )
            )
            await uow.commit()
        return order, attempt
