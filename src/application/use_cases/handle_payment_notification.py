"""The gateway notifies kasir that something happened to a payment."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from application.errors import (
    GatewayError,
    InvalidNotification,
    NotificationRejected,
    StatusUnconfirmed,
)
from application.gateway import (
    GatewayPaymentState,
    GatewayStatus,
    NotificationResult,
    PaymentGateway,
    PaymentNotification,
)
from application.gateways import Gateways
from application.inbox import MAX_DETAIL_CHARS, InboxEntry, Verification
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.reconciliation import AttemptOutcome, AttemptReconciler
from application.retry import retry_on_conflict
from application.scheduled_checks import ScheduledChecks
from domain.payments import PaymentStatus

# Outcomes a human must look at: money that does not fit what kasir expected.
FLAGGED_FOR_STAFF = frozenset(
    {
        AttemptOutcome.AMOUNT_MISMATCH,
        AttemptOutcome.AMOUNT_UNKNOWN,
        AttemptOutcome.REFUND_REQUIRED,
        AttemptOutcome.UNKNOWN_PAYMENT,
        AttemptOutcome.CONTRADICTED,
    }
)


@dataclass(frozen=True, slots=True)
class HandledNotification:
    entry_id: int
    notification: PaymentNotification
    outcome: AttemptOutcome


@dataclass(frozen=True, slots=True)
class HandlePaymentNotification:
    """Records, verifies and applies a gateway notification, exactly once.

    Every notification is stored in the inbox, verified or not, and before any money state
    changes. A notification is a trigger, not proof: its signature covers only merchant, amount
    and order id. Local state decides first (an unknown attempt, a settled one, a failure for a
    closed one need no gateway call; the reconciler decides what local state and the gateway's
    answer mean, application.reconciliation); otherwise the gateway's own status decides, even
    for a success signed for another amount (the gateway may confirm the attempt's own amount, or
    another one, which closes the attempt with a refund to make), at most once per attempt per
    check interval (shared with every process through the database). A success the gateway
    cannot confirm yet gets a status check scheduled for when the budget allows (`scheduled`,
    answered 200), so the order does not wait on the gateway's retries
    (application.scheduled_checks).

    Two short write transactions at most, none held across the gateway call: the first stores
    the entry, reads the attempt, decides locally or claims the status check; the second applies
    the gateway's answer and records the outcome. A duplicate of a settled attempt costs one.
    """

    uow: UnitOfWorkFactory
    gateways: Gateways  # a notification names its gateway; it speaks only for its attempts
    reconciler: AttemptReconciler
    clock: Clock
    scheduled_checks: ScheduledChecks
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    concurrent_check_polls: int = 60
    concurrent_check_poll_interval: float = 0.05

    async def execute(
        self,
        fields: Mapping[str, str],
        *,
        source_address: str | None = None,
        source_allowed: bool = True,
        gateway: str | None = None,
    ) -> HandledNotification:
        """Handle what the gateway named `gateway` (None: the default one) sent.

        Raises NotificationRejected / InvalidNotification for forged or malformed input,
        and StatusUnconfirmed when a success cannot be confirmed yet and no status check could
        be scheduled for it (the sender retries)."""
        name = gateway or self.gateways.default
        received = self.gateways.named(name).read_notification(fields)
        entry = InboxEntry(
            received_at=self.clock.now(),
            gateway=name,
            source_address=source_address,
            fields=received.fields,
            attempt_id=received.attempt_id,
            signature=received.signature,
        )
        return await self.process(entry, fields, source_allowed=source_allowed)

    def attempt_named_in(
        self, fields: Mapping[str, str], *, gateway: str | None = None
    ) -> str | None:
        """The attempt id a notification names, unverified: for logs only."""
        return self.gateways.named(gateway).read_notification(fields).attempt_id

    def is_authentic(self, fields: Mapping[str, str], *, gateway: str | None = None) -> bool:
        """Whether the notification verifies (signature, merchant), storing nothing.

        Lets a genuine notification through a failure limit that forgeries from the same
        address have filled: the limit is for what fails, never for the gateway itself.
        """
        try:
            self.gateways.named(gateway).verify_notification(fields)
        except (NotificationRejected, InvalidNotification):
            return False
        return True

    async def process(
        self,
        entry: InboxEntry,
        fields: Mapping[str, str],
        *,
        source_allowed: bool = True,
    ) -> HandledNotification:
        """Verify and apply an entry, new (no id yet) or stored (re-processing), at the gateway
        that sent it (`entry.gateway`)."""
        name = entry.gateway
        sender = self.gateways.named(name)
        try:
            if not source_allowed:
                raise NotificationRejected("source address not allowed")
            notification = sender.verify_notification(fields)
        except NotificationRejected as error:
            verdict = (
                Verification.SOURCE_NOT_ALLOWED if not source_allowed else Verification.REJECTED
            )
            await self._record_rejected(entry, sender, fields, verdict, error.message)
            raise
        except InvalidNotification as error:
            await self._record_rejected(entry, sender, fields, Verification.INVALID, error.message)
            raise
        entry.signature_scheme = notification.signature_scheme
        outcome = await retry_on_conflict(lambda: self._store_and_decide(entry, notification, name))
        if outcome is AttemptOutcome.DEFERRED:
            outcome = await self._deferred(entry, notification)
        elif outcome is None:
            outcome = await self._confirm_with_gateway(entry, notification, sender)
        return HandledNotification(entry.key, notification, outcome)

    async def _store_and_decide(
        self, entry: InboxEntry, notification: PaymentNotification, gateway: str
    ) -> AttemptOutcome | None:
        """First transaction: store the entry; decide from local state or claim the check.

        None means the status check was claimed and the gateway must be asked now.
        """
        stored_id = entry.id
        try:
            async with self.uow() as uow:
                outcome = await self.reconciler.decide_locally(
                    uow,
                    notification.attempt_id,
                    gateway=gateway,
                    reports_success=notification.result is NotificationResult.SUCCESS,
                )
                if outcome is None:
                    # Stored as deferred if the budget is spent, else as being processed (the
                    # gateway is asked now): the claim and the entry go in one step.
                    _mark(
                        entry,
                        Verification.VERIFIED,
                        AttemptOutcome.DEFERRED,
                        None,
                        self.clock.now(),
                    )
                    claimed = await self.reconciler.claim_storing(
                        uow, notification.attempt_id, entry
                    )
                    outcome = None if claimed else AttemptOutcome.DEFERRED
                else:
                    _mark(entry, Verification.VERIFIED, outcome, None, self.clock.now())
                    await _save(uow, entry)
                await uow.commit()
        except BaseException:
            entry.id = stored_id  # the insert was rolled back: a retry inserts again
            raise
        return outcome

    async def _deferred(
        self, entry: InboxEntry, notification: PaymentNotification
    ) -> AttemptOutcome:
        """The attempt was checked at the gateway moments ago (maybe right now elsewhere)."""
        if notification.result is not NotificationResult.SUCCESS:
            await self._record(entry, Verification.VERIFIED, AttemptOutcome.STILL_PENDING)
            return AttemptOutcome.STILL_PENDING
        # Duitku sends duplicates together: another request may be confirming this very
        # payment. Wait briefly for its result instead of making Duitku retry; when this process
        # itself checked moments ago the answer is known, so look once.
        polls = (
            1
            if self.reconciler.checked_here_recently(notification.attempt_id)
            else self.concurrent_check_polls
        )
        if await self._settled_meanwhile(notification.attempt_id, polls=polls):
            await self._record(entry, Verification.VERIFIED, AttemptOutcome.ALREADY_SETTLED)
            return AttemptOutcome.ALREADY_SETTLED
        return await self._defer(entry, notification, "the payment status was checked moments ago")

    async def _confirm_with_gateway(
        self, entry: InboxEntry, notification: PaymentNotification, gateway: PaymentGateway
    ) -> AttemptOutcome:
        """Ask the gateway (no transaction open), then apply its answer in the second one."""
        attempt_id = notification.attempt_id
        success = notification.result is NotificationResult.SUCCESS
        try:
            try:
                status = await gateway.check_status(attempt_id)
            except GatewayError as error:
                if not success:
                    # Nothing to confirm: the job watches the attempt on its schedule anyway,
                    # and "scheduled" stays the mark of a signed success awaiting its check.
                    await self._record(
                        entry,
                        Verification.VERIFIED,
                        AttemptOutcome.STILL_PENDING,
                        "the payment status could not be checked",
                    )
                    return AttemptOutcome.STILL_PENDING
                return await self._defer(
                    entry, notification, "the payment status could not be checked", error
                )
            outcome = await retry_on_conflict(lambda: self._apply(entry, status, notification))
        finally:
            # Only once the answer is committed: a duplicate that sees "checked here" reads
            # the attempt once and must find the success already applied.
            self.reconciler.note_checked(attempt_id)
        if success and outcome is AttemptOutcome.STILL_PENDING:
            return await self._defer(
                entry, notification, "the gateway does not confirm the payment yet"
            )
        return outcome

    async def _apply(
        self, entry: InboxEntry, status: GatewayStatus, notification: PaymentNotification
    ) -> AttemptOutcome:
        """Second transaction: the gateway's answer applied, and the entry's outcome recorded."""
        success = notification.result is NotificationResult.SUCCESS
        async with self.uow() as uow:
            applied = await self.reconciler.apply_in(
                uow, status, signed_success_amount=notification.amount if success else None
            )
            outcome = applied.outcome
            if (
                success
                and status.state is GatewayPaymentState.PENDING
                and outcome is AttemptOutcome.NOTHING_TO_DO
            ):
                # The attempt was closed here (cash, a void) but its QR lives on at the
                # gateway, which does not confirm the signed success yet: the money may be on
                # its way, so it is checked again like an open attempt's. A later paid status
                # is late money (a refund to make); a later denial goes to staff.
                outcome = AttemptOutcome.STILL_PENDING
            if success and outcome is AttemptOutcome.STILL_PENDING:
                _mark(
                    entry,
                    Verification.VERIFIED,
                    AttemptOutcome.DEFERRED,
                    "the gateway does not confirm the payment yet",
                    self.clock.now(),
                )
            else:
                _mark(entry, Verification.VERIFIED, outcome, applied.detail, self.clock.now())
            await _save(uow, entry)
            await uow.commit()
        return outcome

    async def _defer(
        self,
        entry: InboxEntry,
        notification: PaymentNotification,
        reason: str,
        cause: BaseException | None = None,
    ) -> AttemptOutcome:
        """Schedule the status check for when the budget allows; 503 only if none can be."""
        due = await self.scheduled_checks.request(
            notification.attempt_id, min_interval=self.reconciler.min_check_interval
        )
        if due is not None:
            detail = f"{reason}; status check scheduled at {due.isoformat()}"
            await self._record(entry, Verification.VERIFIED, AttemptOutcome.SCHEDULED, detail)
            return AttemptOutcome.SCHEDULED
        await self._record(entry, Verification.VERIFIED, AttemptOutcome.DEFERRED, reason)
        raise StatusUnconfirmed(reason) from cause

    async def _record(
        self,
        entry: InboxEntry,
        verification: Verification,
        outcome: AttemptOutcome | None = None,
        detail: str | None = None,
    ) -> None:
        _mark(entry, verification, outcome, detail, self.clock.now())
        async with self.uow() as uow:
            await _save(uow, entry)
            await uow.commit()

    async def _record_rejected(
        self,
        entry: InboxEntry,
        sender: PaymentGateway,
        fields: Mapping[str, str],
        verification: Verification,
        detail: str,
    ) -> None:
        """A notification that never verified keeps only bounded known fields (it may be a
        forger's junk) and is deleted after a short retention (DeleteExpiredRejected)."""
        if entry.id is None:
            entry.fields = sender.read_notification(fields).fields_if_rejected
        await self._record(entry, verification, detail=detail[:MAX_DETAIL_CHARS])

    async def _settled_meanwhile(self, attempt_id: str, *, polls: int) -> bool:
        for poll in range(polls):
            if poll:
                await self.sleep(self.concurrent_check_poll_interval)
            async with self.uow(read_only=True) as uow:
                payment = await uow.payments.get(attempt_id)
            if payment is not None and payment.status is PaymentStatus.SUCCEEDED:
                return True
        return False


def _mark(
    entry: InboxEntry,
    verification: Verification,
    outcome: AttemptOutcome | None,
    detail: str | None,
    now: datetime,
) -> None:
    entry.verification = verification
    entry.outcome = outcome.value if outcome else None
    entry.detail = detail
    entry.processed_at = now
    entry.needs_review = entry.needs_review or outcome in FLAGGED_FOR_STAFF


async def _save(uow: UnitOfWork, entry: InboxEntry) -> None:
    if entry.id is None:
        await uow.inbox.add(entry)
    else:
        await uow.inbox.update(entry)
