"""Staff dismiss or resolve a payment that was handed to them for review."""

from dataclasses import dataclass
from datetime import datetime

from application.callers import Caller, Role, Staff, require_staff
from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from application.retry import retry_on_conflict
from application.use_cases.refund_requests import approve_flagged_refund
from domain.errors import InvalidTransition
from domain.events import PaymentReviewResolved
from domain.payments import ClosedReason, Payment


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedReview:
    """The payment as it is now, and who resolved its review, when, with which note."""

    payment: Payment
    resolved_at: datetime
    resolved_by: str
    note: str


@dataclass(frozen=True, slots=True)
class ResolvePaymentReview:
    """A named staff member dismisses or resolves a payment listed in `needs_review`.

    The review leaves the list and the note says what was done; who and when are recorded
    (an audit log takes these records in later). The review of an amount mismatch is the
    refund of the amount received, so it resolves that refund too, as ResolveRefund would.
    A resolved attempt goes back to the reconciliation job's ordinary schedule, so one whose
    status checks the gateway refused is asked about again once its cause is fixed.
    """

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, attempt_id: str, *, caller: Caller, note: str) -> ResolvedReview:
        """Raises Forbidden for a caller who is not staff, NotFound, or InvalidTransition when
        the payment is not waiting for review."""
        staff = require_staff(caller, Role.ADMIN)
        return await retry_on_conflict(lambda: self._resolve(attempt_id, staff, note))

    async def _resolve(self, attempt_id: str, staff: Staff, note: str) -> ResolvedReview:
        now = self.clock.now()
        resolved_by = staff.name
        async with self.uow() as uow:
            seen = await uow.payments.get(attempt_id)
            if seen is None:
                raise NotFound(f"payment {attempt_id} not found")
            await uow.orders.get(seen.order_id, for_update=True)  # the order row first
            payment = await uow.payments.get(attempt_id, for_update=True)
            if payment is None:
                raise NotFound(f"payment {attempt_id} not found")
            if not await uow.payments.resolve_review(
                attempt_id, by=resolved_by, note=note, now=now
            ):
                raise InvalidTransition(f"payment {attempt_id} is not waiting for review")
            if payment.closed_reason is ClosedReason.AMOUNT_MISMATCH and payment.refund_open:
                # The refund of the amount received: its refund request is approved by an
                # admin with the note as reference; anybody else resolves the flag only.
                approved = None
                if staff.role is Role.ADMIN:
                    approved = await approve_flagged_refund(uow, payment, staff, note, self.clock)
                if approved is None:
                    payment.resolve_refund(by=resolved_by, note=note, now=now)
                    await uow.payments.update(payment)
                else:
                    payment = await uow.payments.get(attempt_id) or payment
            uow.record(PaymentReviewResolved(attempt_id, resolved_by))
            await uow.commit()
        return ResolvedReview(payment=payment, resolved_at=now, resolved_by=resolved_by, note=note)
