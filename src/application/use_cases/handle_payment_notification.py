"""The gateway notifies kasir that something happened to a payment."""

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from application.errors import (
    GatewayError,
    InvalidNotification,
    NotificationRejected,
    StatusCheckDeferred,
    StatusUnconfirmed,
)
from application.gateway import NotificationResult, PaymentGateway, PaymentNotification
from application.inbox import InboxEntry, Verification, masked_fields
from application.ports import Clock, UnitOfWorkFactory
from application.reconciliation import AttemptReconciler, ReconcileOutcome
from domain.payments import PaymentStatus


class NotificationOutcome(StrEnum):
    UNKNOWN_PAYMENT = "unknown_payment"
    ALREADY_SETTLED = "already_settled"
    AMOUNT_MISMATCH = "amount_mismatch"
    NOTHING_TO_DO = "nothing_to_do"
    ORDER_PAID = "order_paid"
    REFUND_REQUIRED = "refund_required"
    STILL_PENDING = "still_pending"
    FAILED = "failed"
    EXPIRED = "expired"
    DEFERRED = "deferred"  # not confirmed yet: answered 503 so the gateway sends it again


_FROM_RECONCILE = {
    ReconcileOutcome.ORDER_PAID: NotificationOutcome.ORDER_PAID,
    ReconcileOutcome.REFUND_REQUIRED: NotificationOutcome.REFUND_REQUIRED,
    ReconcileOutcome.ALREADY_APPLIED: NotificationOutcome.ALREADY_SETTLED,
    ReconcileOutcome.STILL_PENDING: NotificationOutcome.STILL_PENDING,
    ReconcileOutcome.ABANDONED: NotificationOutcome.NOTHING_TO_DO,
    ReconcileOutcome.FAILED: NotificationOutcome.FAILED,
    ReconcileOutcome.EXPIRED: NotificationOutcome.EXPIRED,
    ReconcileOutcome.AMOUNT_MISMATCH: NotificationOutcome.AMOUNT_MISMATCH,
    ReconcileOutcome.NO_CHANGE: NotificationOutcome.NOTHING_TO_DO,
}

# Outcomes a human must look at: money that does not fit what kasir expected.
FLAGGED_FOR_STAFF = frozenset(
    {
        NotificationOutcome.AMOUNT_MISMATCH,
        NotificationOutcome.REFUND_REQUIRED,
        NotificationOutcome.UNKNOWN_PAYMENT,
    }
)


@dataclass(frozen=True, slots=True)
class HandledNotification:
    entry_id: int
    notification: PaymentNotification
    outcome: NotificationOutcome


@dataclass(frozen=True, slots=True)
class HandlePaymentNotification:
    """Records, verifies and applies a gateway notification, exactly once.

    Every notification is stored in the inbox before anything else happens, verified or not.
    A notification is a trigger, not proof: its signature covers only merchant, amount and
    order id. Local state decides first (a settled attempt needs no gateway call, an amount
    that differs from the attempt changes nothing and is flagged for staff); otherwise the
    gateway's own status decides, through the throttled AttemptReconciler.
    """

    uow: UnitOfWorkFactory
    gateway: PaymentGateway
    reconciler: AttemptReconciler
    clock: Clock
    personal_fields: Collection[str] = field(default_factory=frozenset)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    concurrent_check_polls: int = 20
    concurrent_check_poll_interval: float = 0.05

    async def execute(
        self,
        fields: Mapping[str, str],
        *,
        source_address: str | None = None,
        source_allowed: bool = True,
    ) -> HandledNotification:
        """Raises NotificationRejected / InvalidNotification for forged or malformed input,
        and StatusUnconfirmed when a success cannot be confirmed yet (the sender retries)."""
        entry = await self._store_received(fields, source_address)
        return await self.process(entry, dict(fields), source_allowed=source_allowed)

    async def process(
        self, entry: InboxEntry, fields: Mapping[str, str], *, source_allowed: bool = True
    ) -> HandledNotification:
        """Verify and apply a stored entry; used for new notifications and re-processing."""
        try:
            if not source_allowed:
                raise NotificationRejected("source address not allowed")
            notification = self.gateway.verify_notification(fields)
        except NotificationRejected as error:
            verdict = (
                Verification.SOURCE_NOT_ALLOWED if not source_allowed else Verification.REJECTED
            )
            await self._finish(entry, verdict, detail=error.message)
            raise
        except InvalidNotification as error:
            await self._finish(entry, Verification.INVALID, detail=error.message)
            raise
        entry.signature_scheme = notification.signature_scheme
        try:
            outcome = await self._apply(notification)
        except StatusUnconfirmed as error:
            await self._finish(
                entry, Verification.VERIFIED, NotificationOutcome.DEFERRED, error.message
            )
            raise
        await self._finish(entry, Verification.VERIFIED, outcome)
        return HandledNotification(entry.key, notification, outcome)

    async def _store_received(
        self, fields: Mapping[str, str], source_address: str | None
    ) -> InboxEntry:
        entry = InboxEntry(
            received_at=self.clock.now(),
            source_address=source_address,
            fields=masked_fields(fields, self.personal_fields),
            order_uid=(fields.get("merchantOrderId") or "")[:64] or None,
            signature=(fields.get("signature") or "")[:128] or None,
        )
        async with self.uow() as uow:
            await uow.inbox.add(entry)
            await uow.commit()
        return entry

    async def _finish(
        self,
        entry: InboxEntry,
        verification: Verification,
        outcome: NotificationOutcome | None = None,
        detail: str | None = None,
    ) -> None:
        entry.verification = verification
        entry.outcome = outcome.value if outcome else None
        entry.detail = detail
        entry.processed_at = self.clock.now()
        entry.needs_review = entry.needs_review or outcome in FLAGGED_FOR_STAFF
        async with self.uow() as uow:
            await uow.inbox.update(entry)
            await uow.commit()

    async def _apply(self, notification: PaymentNotification) -> NotificationOutcome:
        async with self.uow(read_only=True) as uow:
            payment = await uow.payments.get(notification.order_uid)
        if payment is None:
            return NotificationOutcome.UNKNOWN_PAYMENT
        if payment.status is PaymentStatus.SUCCEEDED:
            return NotificationOutcome.ALREADY_SETTLED
        if notification.amount != payment.amount:
            return NotificationOutcome.AMOUNT_MISMATCH
        success = notification.result is NotificationResult.SUCCESS
        if not success and not payment.is_open:
            return NotificationOutcome.NOTHING_TO_DO
        try:
            outcome = _FROM_RECONCILE[await self.reconciler.reconcile(payment.order_uid)]
        except StatusCheckDeferred as error:
            if not success:
                return NotificationOutcome.STILL_PENDING
            # Another process may be checking this attempt right now (Duitku sends duplicates
            # together): wait briefly for its result instead of making Duitku retry. When this
            # process itself checked it moments ago the answer is known: read it once (that
            # check may have just applied the success this notification reports).
            polls = (
                1
                if self.reconciler.checked_here_recently(payment.order_uid)
                else self.concurrent_check_polls
            )
            if await self._settled_meanwhile(payment.order_uid, polls=polls):
                return NotificationOutcome.ALREADY_SETTLED
            raise StatusUnconfirmed("the payment status was checked moments ago") from error
        except GatewayError as error:
            raise StatusUnconfirmed("the payment status could not be checked") from error
        if success and outcome is NotificationOutcome.STILL_PENDING:
            raise StatusUnconfirmed("the gateway does not confirm the payment yet")
        return outcome

    async def _settled_meanwhile(self, order_uid: str, *, polls: int) -> bool:
        for poll in range(polls):
            if poll:
                await self.sleep(self.concurrent_check_poll_interval)
            async with self.uow(read_only=True) as uow:
                payment = await uow.payments.get(order_uid)
            if payment is not None and payment.status is PaymentStatus.SUCCEEDED:
                return True
        return False
