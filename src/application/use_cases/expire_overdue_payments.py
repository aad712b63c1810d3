"""Closing QRIS attempts whose time ran out, once the gateway confirms they were not paid."""

from dataclasses import dataclass, field

from application.errors import GatewayError, StatusCheckDeferred
from application.ports import Clock, UnitOfWorkFactory
from application.reconciliation import AttemptReconciler, ReconcileOutcome


@dataclass(slots=True)
class ExpiryReport:
    outcomes: dict[str, ReconcileOutcome] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExpireOverduePayments:
    """Checks each overdue pending attempt at the gateway and expires it unless it was paid.

    A paid one is applied instead (it may pay the order, or be flagged for refund). The gateway
    is asked one attempt at a time, outside any transaction.
    """

    uow: UnitOfWorkFactory
    clock: Clock
    reconciler: AttemptReconciler

    async def execute(self, *, limit: int = 50) -> ExpiryReport:
        async with self.uow(read_only=True) as uow:
            overdue = await uow.payments.list_overdue(now=self.clock.now(), limit=limit)
        report = ExpiryReport()
        for attempt in overdue:
            try:
                report.outcomes[attempt.order_uid] = await self.reconciler.reconcile(
                    attempt.order_uid
                )
            except (GatewayError, StatusCheckDeferred) as error:
                report.errors[attempt.order_uid] = error.code
        return report
