"""Refunds of paid orders: requested by staff, approved or rejected by an admin.

Cashiers' requests, and any request above the approval threshold, wait for an admin; an
admin's request at or below it is approved at once. The requester never decides their own
request. Nothing leaves the drawer before the approval: a cash refund comes out of the
requester's open shift when it is approved (or the approver's, if the requester's closed
meanwhile). A QRIS refund is made by hand (the gateway has no refund API) and approved with
the reference of that transfer. Money kasir flagged itself (late money, another amount) is a
refund request of the system, approved the same way.

Every transaction locks the order row first, then payments, then the refund, then the shift.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.callers import Caller, Role, Staff, require_staff
from application.errors import NotFound, OwnRefundApproval, ShiftRequired
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.refund_audit import decided_record, requested_record
from application.retry import retry_on_conflict
from application.shift_access import require_drawer_staff
from domain.errors import OrderNotRefundable
from domain.orders import Order
from domain.payments import Payment, PaymentMethod
from domain.refunds import Refund, RefundLine, RefundStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundRequest:
    """What staff ask for: an amount or lines (exactly one), a reason, and for an admin's
    QRIS refund approved at once, the reference of the refund made by hand."""

    order_id: int
    reason: str
    amount: int | None = None
    lines: Sequence[RefundLine] | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class RequestRefund:
    """Staff (cashier or admin) ask for a refund of a paid order."""

    uow: UnitOfWorkFactory
    clock: Clock
    approval_threshold: int  # an admin's request above it waits for another admin

    async def execute(self, request: RefundRequest, *, caller: Caller) -> Refund:
        """Raises Forbidden, NotFound, OrderNotRefundable, InvalidRefund, ReasonRequired,
        RefundExceedsPaid, and for an admin's request approved at once ShiftRequired (cash,
        no open shift) or RefundReferenceRequired (QRIS without a reference)."""
        staff = require_drawer_staff(caller)
        return await retry_on_conflict(lambda: self._request(request, staff))

    async def _request(self, request: RefundRequest, staff: Staff) -> Refund:
        now = self.clock.now()
        async with self.uow() as uow:
            order = await uow.orders.get(request.order_id, for_update=True)
            if order is None:
                raise NotFound("order not found")
            paid_by = await _paying_payment(uow, order)
            refund = Refund.request(
                order=order,
                paid_by=paid_by,
                earlier=await uow.refunds.list_for_order(order.key),
                amount=request.amount,
                lines=request.lines,
                reason=request.reason,
                requested_by=staff.staff_id,
                requested_by_name=staff.name,
                now=now,
            )
            await uow.orders.update(order)  # the reservation: CHECK refund_reserved <= total
            await uow.refunds.add(refund)
            await uow.audit.append(requested_record(staff, refund))
            if staff.role is Role.ADMIN and refund.amount <= self.approval_threshold:
                await _make(uow, refund, staff, request.reference, self.clock)
            await uow.commit()
        return refund


@dataclass(frozen=True, slots=True)
class ApproveRefund:
    """An admin other than the requester approves a refund, and the money goes back."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, refund_id: int, *, reference: str | None, caller: Caller) -> Refund:
        """Raises Forbidden (not an admin), OwnRefundApproval, NotFound, InvalidTransition
        (not waiting), ShiftRequired (cash, neither the requester nor the approver has an
        open shift) or RefundReferenceRequired (QRIS without a reference)."""
        admin = require_staff(caller, Role.ADMIN)

        async def approve() -> Refund:
            async with self.uow() as uow:
                refund = await _lock_refund(uow, refund_id, admin)
                await _make(uow, refund, admin, reference, self.clock)
                await uow.commit()
            return refund

        return await retry_on_conflict(approve)


@dataclass(frozen=True, slots=True)
class RejectRefund:
    """An admin other than the requester rejects a refund; its reservation is given back."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, refund_id: int, *, note: str | None, caller: Caller) -> Refund:
        """Raises Forbidden, OwnRefundApproval, NotFound, or InvalidTransition."""
        admin = require_staff(caller, Role.ADMIN)

        async def reject() -> Refund:
            now = self.clock.now()
            async with self.uow() as uow:
                refund = await _lock_refund(uow, refund_id, admin)
                refund.reject(by=admin.staff_id, by_name=admin.name, note=note, now=now)
                await uow.audit.append(decided_record(admin, refund, "refund.rejected"))
                if refund.flagged:
                    # The flag on the payment is settled too: staff decided not to pay it back.
                    await _settle_flag(uow, refund, admin, f"refund rejected: {note or ''}", now)
                else:
                    order = await uow.orders.get(refund.order_id, for_update=True)
                    if order is None:
                        raise NotFound("order not found")
                    order.release_refund(refund.amount)
                    await uow.orders.update(order)
                await uow.refunds.update(refund)
                await uow.commit()
            return refund

        return await retry_on_conflict(reject)


@dataclass(frozen=True, slots=True)
class ListRefundRequests:
    """Refunds for staff, newest first: those waiting for approval, or all."""

    uow: UnitOfWorkFactory

    async def execute(
        self, *, caller: Caller, status: RefundStatus | None = None, limit: int = 100
    ) -> list[Refund]:
        require_drawer_staff(caller)
        async with self.uow(read_only=True) as uow:
            return await uow.refunds.list(status=status, limit=limit)


async def _paying_payment(uow: UnitOfWork, order: Order) -> Payment:
    if order.paid_by_attempt is None:
        raise OrderNotRefundable(f"order {order.id} is {order.status.value}, not paid")
    payment = await uow.payments.get(order.paid_by_attempt)
    if payment is None:
        raise NotFound("the payment of the order was not found")
    return payment


async def _lock_refund(uow: UnitOfWork, refund_id: int, admin: Staff) -> Refund:
    """The refund under its lock, after its order's row (and its payment's, when flagged):
    the one lock order of every money transaction."""
    seen = await uow.refunds.get(refund_id)
    if seen is None:
        raise NotFound("refund not found")
    await uow.orders.get(seen.order_id, for_update=True)
    if seen.flagged:
        await uow.payments.get(seen.payment_uid, for_update=True)
    refund = await uow.refunds.get(refund_id, for_update=True)
    if refund is None:
        raise NotFound("refund not found")
    if refund.requested_by == admin.staff_id:
        raise OwnRefundApproval("a refund is approved or rejected by another admin")
    return refund


async def _make(
    uow: UnitOfWork, refund: Refund, approver: Staff, reference: str | None, clock: Clock
) -> None:
    """Approve `refund` and give the money back, in the caller's transaction."""
    now = clock.now()
    if refund.method is PaymentMethod.CASH:
        shift = await uow.shifts.find_open(refund.requested_by)
        if shift is None:
            shift = await uow.shifts.find_open(approver.staff_id)
        if shift is None:
            raise ShiftRequired("a cash refund comes out of an open shift: open one first")
        shift.record_cash_refund(refund.amount)
        refund.approve(by=approver.staff_id, by_name=approver.name, now=now, shift_id=shift.key)
        await uow.refunds.update(refund)
        await uow.shifts.update(shift)  # last, conditional: fails if it closed meanwhile
        await uow.audit.append(decided_record(approver, refund, "refund.approved"))
        return
    refund.approve(by=approver.staff_id, by_name=approver.name, now=now, reference=reference)
    await uow.audit.append(decided_record(approver, refund, "refund.approved"))
    if refund.flagged:
        await _settle_flag(uow, refund, approver, refund.reference or "", now)
    await uow.refunds.update(refund)


async def _settle_flag(
    uow: UnitOfWork, refund: Refund, staff: Staff, note: str, now: datetime
) -> None:
    """Close the refund flag on the payment the money came from, as the approval says."""
    payment = await uow.payments.get(refund.payment_uid, for_update=True)
    if payment is None:
        raise NotFound("payment not found")
    if payment.refund_open:
        payment.resolve_refund(by=staff.name, note=note, now=now)
        await uow.payments.update(payment)


async def approve_flagged_refund(
    uow: UnitOfWork, payment: Payment, admin: Staff, reference: str, clock: Clock
) -> Refund | None:
    """Approve the system's refund request for `payment`'s flagged money with `reference`,
    in the caller's transaction (which holds the order's and the payment's locks already).
    The older routes that resolve a payment's refund go through here, so both paths end in
    the same approved request. None when there is no pending request for it."""
    refund = await uow.refunds.find_flagged(payment.attempt_id)
    if refund is None or not refund.is_pending:
        return None
    refund = await uow.refunds.get(refund.key, for_update=True)
    if refund is None or not refund.is_pending:
        return None
    await _make(uow, refund, admin, reference, clock)
    return refund
