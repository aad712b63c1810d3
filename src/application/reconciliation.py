"""Bringing one attempt in line with the gateway's own account of it.

The gateway's status is the one source that confirms money arrived. This is shared by the
notification handler (to confirm a notification), the QRIS start (to resolve an attempt whose
outcome is unknown), cash (to ask once whether the QR was just paid) and the reconciliation
job. The gateway is called outside any transaction; the answer is then applied in a short
write transaction that re-reads the attempt and decides again.

What an attempt's news means is decided here and nowhere else: what local state alone
decides (`decide_locally`), and what the gateway's answer means for the attempt as it is now
(`apply_in`), a signed success the gateway contradicts included.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from application.callers import System
from application.coalescing import SingleFlight
from application.errors import NotFound, StatusCheckDeferred
from application.gateway import GatewayPaymentState, GatewayStatus
from application.gateways import Gateways
from application.inbox import InboxEntry
from application.ports import Clock, EventPublisher, UnitOfWork, UnitOfWorkFactory
from application.reconciliation_schedule import ReviewReason, next_scheduled_check
from application.refund_audit import requested_record
from application.retry import retry_on_conflict
from domain.events import DomainEvent, PaymentFlaggedForReview
from domain.orders import Order
from domain.payments import Payment, PaymentMethod, PaymentStatus
from domain.refunds import Refund
from domain.settlement import SettlementOutcome, apply_gateway_success

ABANDONED_REASON = "abandoned: the gateway's answer was lost, its QR was never shown"
# Why an attempt failed when its gateway has no transaction for it: the gateway created
# nothing, so a fallback gateway may issue the order's next attempt.
NOT_FOUND_REASON = "the gateway has no such transaction"


class AttemptOutcome(StrEnum):
    """What became of an attempt when kasir asked about it or heard from its gateway: one
    vocabulary for the status check, the job's report and the answer to a notification."""

    ORDER_PAID = "order_paid"
    REFUND_REQUIRED = "refund_required"
    ALREADY_SETTLED = "already_settled"
    STILL_PENDING = "still_pending"
    ABANDONED = "abandoned"  # a `creating` attempt whose QR was never shown, closed
    FAILED = "failed"
    EXPIRED = "expired"
    AMOUNT_MISMATCH = "amount_mismatch"  # closed: another amount paid, a refund to make
    AMOUNT_UNKNOWN = "amount_unknown"  # reported paid without an amount: nothing changes
    NOTHING_TO_DO = "nothing_to_do"
    # Only a notification ends these ways:
    UNKNOWN_PAYMENT = "unknown_payment"  # names no attempt of its gateway
    # A signed success the gateway's status contradicts (it says failed or not found): either
    # the gateway is inconsistent or the signing key leaked. Flagged, and checked again later.
    CONTRADICTED = "contradicted"
    # Not confirmed yet: kasir committed its own status check for when the budget allows.
    SCHEDULED = "scheduled"
    # Not confirmed yet and nothing could be scheduled: answered 503 so the gateway resends it.
    DEFERRED = "deferred"


_NOTHING_TO_WRITE = frozenset(
    {
        AttemptOutcome.STILL_PENDING,
        AttemptOutcome.NOTHING_TO_DO,
        AttemptOutcome.AMOUNT_UNKNOWN,
        AttemptOutcome.ALREADY_SETTLED,
    }
)

# A gateway answer that contradicts a signed success: nothing can be paid on the attempt.
_CONTRADICTING = frozenset({GatewayPaymentState.FAILED, GatewayPaymentState.NOT_FOUND})

_SETTLED = {
    SettlementOutcome.ORDER_PAID: AttemptOutcome.ORDER_PAID,
    SettlementOutcome.REFUND_REQUIRED: AttemptOutcome.REFUND_REQUIRED,
    SettlementOutcome.ALREADY_APPLIED: AttemptOutcome.ALREADY_SETTLED,
}
_REFUND_OUTCOMES = frozenset({AttemptOutcome.REFUND_REQUIRED, AttemptOutcome.AMOUNT_MISMATCH})


@dataclass(frozen=True, slots=True)
class Applied:
    """A gateway answer applied in a transaction: the outcome, the attempt (its events leave
    with the unit of work's commit), and for staff what was flagged, if anything."""

    outcome: AttemptOutcome
    payment: Payment
    detail: str | None = None

    @property
    def wrote(self) -> bool:
        return self.outcome not in _NOTHING_TO_WRITE


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconciled:
    """What one status check found and did: the outcome, the gateway's answer, the attempt."""

    outcome: AttemptOutcome
    gateway: GatewayStatus
    payment: Payment


@dataclass(frozen=True, slots=True)
class AttemptReconciler:
    """Asks the gateway about one attempt and applies what it says, idempotently."""

    uow: UnitOfWorkFactory
    gateways: Gateways  # each attempt is asked about at the gateway that issued it
    clock: Clock
    events: EventPublisher
    min_check_interval: timedelta = timedelta(seconds=30)
    in_flight: SingleFlight[AttemptOutcome] = field(default_factory=SingleFlight)

    async def reconcile(
        self, attempt_id: str, *, abandon_if_pending: bool = False
    ) -> AttemptOutcome:
        """Check the attempt's status at the gateway and apply it.

        `abandon_if_pending` closes a `creating` attempt that the gateway holds as pending: its
        answer was lost, so no customer ever saw its QR, and a new attempt may be made.
        Raises GatewayError subclasses when the gateway cannot answer, and StatusCheckDeferred
        when the attempt was checked less than `min_check_interval` ago; nothing changes then.
        """
        outcome, ran = await self.in_flight.run(
            attempt_id, lambda: self._check_and_apply(attempt_id, abandon_if_pending)
        )
        if not ran and outcome in _SETTLED.values():
            # Another request in this process applied the success: for this one it is a no-op.
            return AttemptOutcome.ALREADY_SETTLED
        return outcome

    def note_checked(self, attempt_id: str) -> None:
        """This process has the gateway's answer about `attempt_id` committed: a duplicate
        within the check interval reads the attempt once instead of waiting for it. Call it
        only after the commit."""
        self.in_flight.note_finished(attempt_id, self.clock.now())

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Hand committed events to the in-process listeners (logs, metrics)."""
        await self.events.publish(events)

    def checked_here_recently(self, attempt_id: str) -> bool:
        """Whether this process asked the gateway about `attempt_id` within the check interval."""
        since = self.clock.now() - self.min_check_interval
        return self.in_flight.finished_since(attempt_id, since)

    async def check(self, attempt_id: str, *, abandon_if_pending: bool = False) -> Reconciled:
        """Like `reconcile`, also returning the gateway's answer and the attempt as it is now.

        For a caller that holds the attempt alone (the reconciliation job leases it), so it
        does not join other requests' checks in this process; the shared budget still holds.
        """
        gateway = await self._claim_status_check(attempt_id)
        try:
            status = await self.gateways.named(gateway).check_status(attempt_id)
            outcome, payment = await retry_on_conflict(
                lambda: self._apply(status, abandon_if_pending)
            )
        finally:
            # After the commit, so "checked here moments ago" implies the answer is applied.
            self.note_checked(attempt_id)
        return Reconciled(outcome=outcome, gateway=status, payment=payment)

    async def _check_and_apply(self, attempt_id: str, abandon_if_pending: bool) -> AttemptOutcome:
        return (await self.check(attempt_id, abandon_if_pending=abandon_if_pending)).outcome

    async def _claim_status_check(self, attempt_id: str) -> str | None:
        """Take the attempt's status-check budget; returns the name of its gateway."""
        # Duitku blocks merchants that poll transactionStatus, so every caller in every process
        # shares one budget per attempt, kept in the database.
        async with self.uow() as uow:
            attempt = await uow.payments.get(attempt_id)
            claimed = attempt is not None and await self.claim_in(uow, attempt_id)
            if claimed:
                await uow.commit()
        if attempt is None or not claimed:
            raise StatusCheckDeferred(
                f"payment {attempt_id} was checked at the gateway moments ago",
                retry_after=max(1, int(self.min_check_interval.total_seconds())),
            )
        return attempt.gateway

    async def decide_locally(
        self, uow: UnitOfWork, attempt_id: str, *, gateway: str, reports_success: bool
    ) -> AttemptOutcome | None:
        """What local state alone decides about news from `gateway` of attempt `attempt_id`,
        read in the caller's transaction; None when only the gateway's status can decide.

        Local state decides first: an attempt this gateway did not issue is unknown to it (it
        cannot speak for another gateway's attempts), a settled one needs no gateway call,
        and nothing but a success changes a closed one.
        """
        payment = await uow.payments.get(attempt_id)
        if payment is None or (payment.gateway or self.gateways.default) != gateway:
            return AttemptOutcome.UNKNOWN_PAYMENT
        if payment.status is PaymentStatus.SUCCEEDED:
            return AttemptOutcome.ALREADY_SETTLED
        if not reports_success and not payment.is_open:
            return AttemptOutcome.NOTHING_TO_DO
        return None

    async def claim_in(self, uow: UnitOfWork, attempt_id: str) -> bool:
        """Take this attempt's status-check budget inside the caller's write transaction."""
        return await uow.payments.claim_status_check(
            attempt_id, now=self.clock.now(), min_interval=self.min_check_interval
        )

    async def claim_storing(self, uow: UnitOfWork, attempt_id: str, entry: InboxEntry) -> bool:
        """Like `claim_in`, storing the inbox `entry` with the claim (NotificationInbox.
        store_claiming_status_check): won, the entry is stored as being processed."""
        return await uow.inbox.store_claiming_status_check(
            entry, attempt_id=attempt_id, now=self.clock.now(), min_interval=self.min_check_interval
        )

    async def apply_in(
        self,
        uow: UnitOfWork,
        status: GatewayStatus,
        *,
        abandon_if_pending: bool = False,
        signed_success_amount: int | None = None,
    ) -> Applied:
        """Apply the gateway's answer inside the caller's write transaction, without committing;
        the unit of work publishes the events once the caller commits.

        `signed_success_amount` is what a correctly signed notification said was paid: when
        the gateway answers failed or not found and the attempt is not settled, the
        contradiction is handed to staff (`contradicted`) and the attempt stays on the
        schedule, so a later paid status still settles it.
        """
        found = await uow.payments.lock_with_order(status.attempt_id)
        if found is None:
            raise NotFound("payment not found")
        locked, payment = found
        # Read under the lock: while this attempt is an open QRIS one, the order can have no
        # other (a partial unique index), so paying it needs no search for one to close.
        was_open_qris = payment.is_open and payment.method is PaymentMethod.QRIS
        outcome, order = await self._decide(payment, locked, status, abandon_if_pending)
        if (
            signed_success_amount is not None
            and status.state in _CONTRADICTING
            and payment.status is not PaymentStatus.SUCCEEDED
        ):
            if outcome not in _NOTHING_TO_WRITE:
                await uow.payments.update(payment)
            detail = _contradiction(status, signed_success_amount)
            await self.flag_in(
                uow,
                payment.attempt_id,
                ReviewReason.SUCCESS_CONTRADICTED,
                detail,
                keep_checking=True,
            )
            return Applied(AttemptOutcome.CONTRADICTED, payment, detail)
        if outcome in _NOTHING_TO_WRITE:
            return Applied(outcome, payment)
        if order is None:
            await uow.payments.update(payment)
        else:
            await uow.payments.update_with_order(payment, order)
            if not was_open_qris:
                await self._close_other_open_attempt(uow, payment)
        if (
            outcome in _REFUND_OUTCOMES
            and await uow.refunds.find_flagged(payment.attempt_id) is None
        ):
            # Money kasir cannot keep joins the refund workflow: an admin approves it with the
            # reference of the refund made by hand.
            flagged = Refund.flagged_by_kasir(payment=payment, now=self.clock.now())
            await uow.refunds.add(flagged)
            await uow.audit.append(requested_record(System("reconciliation"), flagged))
        if outcome is AttemptOutcome.AMOUNT_MISMATCH:
            detail = payment.refund_reason or "the gateway reports another amount paid"
            await self.flag_in(
                uow, payment.attempt_id, ReviewReason.AMOUNT_MISMATCH, detail, keep_checking=False
            )
        return Applied(outcome, payment)

    async def flag_in(
        self,
        uow: UnitOfWork,
        attempt_id: str,
        reason: ReviewReason,
        detail: str,
        *,
        keep_checking: bool,
    ) -> PaymentFlaggedForReview:
        """Hand the attempt to staff inside the caller's write transaction; its event is
        published with the commit. `keep_checking` keeps it on the reconciliation
        schedule, counted from now, so a later answer of the gateway still settles it."""
        now = self.clock.now()
        next_check_at = next_scheduled_check(now, now) if keep_checking else None
        await uow.payments.flag_for_review(
            attempt_id, reason=detail, now=now, next_check_at=next_check_at
        )
        flagged = PaymentFlaggedForReview(attempt_id, reason.value, detail)
        uow.record(flagged)
        return flagged

    async def _apply(
        self, status: GatewayStatus, abandon_if_pending: bool
    ) -> tuple[AttemptOutcome, Payment]:
        async with self.uow() as uow:
            applied = await self.apply_in(uow, status, abandon_if_pending=abandon_if_pending)
            if applied.wrote:
                await uow.commit()
        return applied.outcome, applied.payment

    async def _close_other_open_attempt(self, uow: UnitOfWork, paid: Payment) -> None:
        """A late success on an old attempt paid the order while a newer QR is still shown:
        that QR is cancelled so it cannot take the customer's money a second time."""
        other = await uow.payments.find_open_qris(paid.order_id)
        if other is None or other.attempt_id == paid.attempt_id:
            return
        other.cancel(reason=f"order paid by attempt {paid.attempt_id}", now=self.clock.now())
        await uow.payments.update(other)

    async def _decide(
        self,
        payment: Payment,
        order: Order,
        status: GatewayStatus,
        abandon_if_pending: bool,
    ) -> tuple[AttemptOutcome, Order | None]:
        """Change `payment` (and its order when it gets paid) as the status says; write nothing."""
        now = self.clock.now()
        if status.state is GatewayPaymentState.PAID:
            if status.amount is None:
                return AttemptOutcome.AMOUNT_UNKNOWN, None
            if status.amount != payment.amount:
                # The order is paid only by its exact total: the money is given back instead.
                if payment.status is PaymentStatus.SUCCEEDED:
                    return AttemptOutcome.NOTHING_TO_DO, None
                if not payment.close_amount_mismatch(amount_received=status.amount, now=now):
                    return AttemptOutcome.NOTHING_TO_DO, None
                return AttemptOutcome.AMOUNT_MISMATCH, None
            settled = apply_gateway_success(
                order=order,
                payment=payment,
                amount=status.amount,
                now=now,
                gateway_reference=status.gateway_reference,
            )
            return _SETTLED[settled], order if settled is SettlementOutcome.ORDER_PAID else None
        if not payment.is_open:
            return AttemptOutcome.NOTHING_TO_DO, None
        if status.state is GatewayPaymentState.PENDING:
            if abandon_if_pending and payment.status is PaymentStatus.CREATING:
                payment.cancel(reason=ABANDONED_REASON, now=now)
                return AttemptOutcome.ABANDONED, None
            return AttemptOutcome.STILL_PENDING, None
        # FAILED or NOT_FOUND: nothing can be paid on this attempt at the gateway any more.
        if payment.is_overdue(now):
            payment.expire(now=now)
            return AttemptOutcome.EXPIRED, None
        reason = (
            NOT_FOUND_REASON
            if status.state is GatewayPaymentState.NOT_FOUND
            else "the gateway reports it failed"
        )
        payment.fail(reason=reason, now=now)
        return AttemptOutcome.FAILED, None


def _contradiction(status: GatewayStatus, signed_amount: int) -> str:
    """Both facts, for staff: what the signed notification said and what the gateway says."""
    says = (
        "has no such transaction"
        if status.state is GatewayPaymentState.NOT_FOUND
        else "reports it failed"
    )
    return (
        f"a correctly signed notification said {signed_amount} was paid, but the "
        f"gateway {says}: either the gateway is inconsistent or its key has leaked"
    )
