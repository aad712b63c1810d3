"""The gateway notifies kasir that something happened to a payment."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from application.errors import GatewayError, StatusUnconfirmed
from application.gateway import NotificationResult, PaymentGateway, PaymentNotification
from application.ports import UnitOfWorkFactory
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


@dataclass(frozen=True, slots=True)
class HandledNotification:
    notification: PaymentNotification
    outcome: NotificationOutcome


@dataclass(frozen=True, slots=True)
class HandlePaymentNotification:
    """Verifies a gateway notification and applies what the gateway confirms, exactly once.

    A notification is a trigger, not proof: its signature covers only merchant, amount and
    order id. Local state decides first (a settled attempt needs no gateway call, an amount
    that differs from the attempt changes nothing); otherwise the gateway's status decides.
    """

    uow: UnitOfWorkFactory
    gateway: PaymentGateway
    reconciler: AttemptReconciler

    async def execute(self, fields: Mapping[str, str]) -> HandledNotification:
        """Raises NotificationRejected / InvalidNotification for forged or malformed input,
        and StatusUnconfirmed when a success cannot be confirmed yet (the sender retries)."""
        notification = self.gateway.verify_notification(fields)
        return HandledNotification(notification, await self._handle(notification))

    async def _handle(self, notification: PaymentNotification) -> NotificationOutcome:
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
        except GatewayError as error:
            raise StatusUnconfirmed("the payment status could not be checked") from error
        if success and outcome is NotificationOutcome.STILL_PENDING:
            raise StatusUnconfirmed("the gateway does not confirm the payment yet")
        return outcome
