"""A customer asks to pay an order by QRIS."""

from dataclasses import dataclass
from datetime import timedelta

from application.callers import Caller, require_order_access
from application.errors import (
    ConcurrentUpdate,
    GatewayError,
    GatewayOutcomeUnknown,
    NotFound,
    PaymentInProgress,
    StatusCheckDeferred,
)
from application.gateway import Customer, QrisCharge, QrisChargeRequest
from application.gateways import Gateways
from application.ports import Clock, ReferenceGenerator, UnitOfWorkFactory
from application.reconciliation import NOT_FOUND_REASON, AttemptOutcome, AttemptReconciler
from application.reconciliation_schedule import DEFAULT_CREATING_GRACE
from application.retry import retry_on_conflict
from domain.errors import AmountMismatch
from domain.payments import Payment, PaymentStatus


@dataclass(frozen=True, slots=True)
class StartQrisPaymentCommand:
    order_id: int
    amount: int
    customer: Customer


@dataclass(frozen=True, slots=True)
class StartedQrisPayment:
    payment: Payment
    created: bool  # False when an attempt that was already pending is handed out again


@dataclass(frozen=True, slots=True)
class StartQrisPayment:
    """Creates a QRIS attempt at the gateway for an order, or hands out the one pending.

    The attempt is recorded and committed before the gateway is called, and the gateway's
    answer is recorded in a second short transaction: no transaction is held across the call,
    and a crash in between leaves a `creating` row that a status check resolves. An attempt
    still `creating` is reported as in progress until it is older than `creating_grace` (longer
    than the create call's whole timeout, so a create still in flight is never abandoned; the
    container derives it from the gateway's timeout); after that its outcome is asked from the
    gateway before anything new is created. The attempt is recorded under the order's row lock,
    like every write that changes an order's money state. The caller (staff, or the holder of
    the order's token) is authorized in that same first read.

    With a fallback configured (`Gateways.fallback_after`), a first gateway that provably
    created nothing (it refused, or was never reached, or a status check found no such
    transaction there; never an unknown outcome) has its attempt closed, and the next gateway
    issues a new one, once.
    """

    uow: UnitOfWorkFactory
    gateways: Gateways  # the default (or its fallback) issues the attempt, which records it
    clock: Clock
    references: ReferenceGenerator
    reconciler: AttemptReconciler
    description: str = "Restaurant order {order_id}"
    creating_grace: timedelta = DEFAULT_CREATING_GRACE
    retry_after_seconds: int = 5

    async def execute(
        self, command: StartQrisPaymentCommand, *, caller: Caller
    ) -> StartedQrisPayment:
        """Raises NotFound (also for a caller without access to the order), OrderNotPayable,
        AmountMismatch, PaymentInProgress, GatewayError."""
        attempt, created = await retry_on_conflict(lambda: self._record_attempt(command, caller))
        if not created:
            return StartedQrisPayment(attempt, created=False)
        try:
            return await self._issue(attempt, command)
        except GatewayOutcomeUnknown:
            raise  # the first gateway may have created it: never a second QR for the order
        except GatewayError:
            fallback = self.gateways.fallback_after(attempt.gateway)
            if fallback is None:
                raise
        # The first gateway provably created nothing (never reached, or refused) and its
        # attempt is closed: the next configured gateway issues a new attempt, under the
        # order's row lock like the first, so the order never has two open QRs.
        second, created = await retry_on_conflict(
            lambda: self._record_attempt(command, caller, gateway=fallback)
        )
        if not created:
            return StartedQrisPayment(second, created=False)
        return await self._issue(second, command)

    async def _issue(
        self, attempt: Payment, command: StartQrisPaymentCommand
    ) -> StartedQrisPayment:
        """Ask the attempt's own gateway for its QR and record the answer (or the refusal)."""
        try:
            charge = await self.gateways.named(attempt.gateway).create_qris(
                QrisChargeRequest(
                    attempt_id=attempt.attempt_id,
                    amount=attempt.amount,
                    description=self.description.format(order_id=command.order_id),
                    customer=command.customer,
                )
            )
        except GatewayOutcomeUnknown:
            # A timeout, a 5xx or an unreadable answer: the gateway may have created the
            # transaction, so the attempt stays `creating` until a status check says.
            raise
        except GatewayError as error:
            refusal = error
            await retry_on_conflict(lambda: self._record_refusal(attempt.attempt_id, refusal))
            raise
        return StartedQrisPayment(
            await retry_on_conflict(lambda: self._record_charge(attempt.attempt_id, charge)),
            created=True,
        )

    async def _record_attempt(
        self, command: StartQrisPaymentCommand, caller: Caller, *, gateway: str | None = None
    ) -> tuple[Payment, bool]:
        """A new attempt at `gateway` (the default when None), or the order's open one."""
        # A reference the store refused (the order had an open attempt) was never stored: the
        # next round uses it, so references are spent only on attempts recorded.
        attempt_id: str | None = None
        for _ in range(2):
            now = self.clock.now()
            async with self.uow() as uow:
                # The order row lock, as cash and cancel take it: without it a cash payment
                # committed between this read and the insert leaves a paid order with a live QR.
                order = require_order_access(
                    caller, await uow.orders.get(command.order_id, for_update=True)
                )
                order.ensure_payable()
                if command.amount != order.total:
                    raise AmountMismatch(
                        f"amount {command.amount} differs from the order total {order.total}"
                    )
                attempt_id = attempt_id or self.references.new_attempt_id()
                attempt = Payment.start_qris(
                    order=order,
                    attempt_id=attempt_id,
                    now=now,
                    gateway=gateway or self.gateways.default,
                )
                try:
                    # Insert first: the store refuses a second open QRIS attempt of one order
                    # (a unique index on SQL), so a fresh order costs no read of its attempts.
                    await uow.payments.add(attempt)
                except ConcurrentUpdate:
                    # Refused: most often the order already has an open attempt, read here
                    # under the same row lock. Anything else is retried as a conflict.
                    current = await uow.payments.find_open_qris(order.key)
                    if current is None:
                        raise
                else:
                    await uow.commit()
                    return attempt, True
            if not self._needs_gateway_check(current):
                if current.status is PaymentStatus.PENDING:
                    return current, False
                raise PaymentInProgress(
                    "a payment for this order is waiting for the gateway",
                    retry_after=self.retry_after_seconds,
                )
            try:
                outcome = await self.reconciler.reconcile(
                    current.attempt_id, abandon_if_pending=True
                )
            except StatusCheckDeferred as deferred:
                raise PaymentInProgress(
                    "a payment for this order is being checked with the gateway",
                    retry_after=deferred.retry_after,
                ) from deferred
            if outcome is AttemptOutcome.STILL_PENDING:
                # The gateway still offers this QR past its expiry; hand it out rather than
                # polling again within one request.
                return current, False
            if outcome is AttemptOutcome.FAILED and gateway is None:
                gateway = await self._fallback_if_never_created(current)
        raise PaymentInProgress(
            "a payment for this order is still being resolved",
            retry_after=self.retry_after_seconds,
        )

    async def _fallback_if_never_created(self, attempt: Payment) -> str | None:
        """The next gateway, when a status check just settled `attempt` as never created at
        its own (no such transaction there) and a fallback is configured; else None."""
        fallback = self.gateways.fallback_after(attempt.gateway)
        if fallback is None:
            return None
        async with self.uow(read_only=True) as uow:
            settled = await uow.payments.get(attempt.attempt_id)
        if settled is not None and settled.status_reason == NOT_FOUND_REASON:
            return fallback
        return None

    def _needs_gateway_check(self, attempt: Payment) -> bool:
        """A `creating` attempt past the grace period, or a pending one past its expiry."""
        now = self.clock.now()
        if attempt.status is PaymentStatus.CREATING:
            return attempt.created_at + self.creating_grace <= now
        return attempt.is_overdue(now)

    async def _record_refusal(self, attempt_id: str, error: GatewayError) -> None:
        async with self.uow() as uow:
            attempt = await uow.payments.get(attempt_id, for_update=True)
            if attempt is None or attempt.status is not PaymentStatus.CREATING:
                return
            reason = f"gateway refused: {error.detail or error.message}"
            attempt.fail(reason=reason, now=self.clock.now())
            await uow.payments.update(attempt)
            await uow.commit()

    async def _record_charge(self, attempt_id: str, charge: QrisCharge) -> Payment:
        now = self.clock.now()
        async with self.uow() as uow:
            attempt = await uow.payments.get(attempt_id, for_update=True)
            if attempt is None:
                raise NotFound("payment not found")
            if attempt.status is not PaymentStatus.CREATING:
                return attempt  # resolved meanwhile (e.g. by a status check); report as it is
            attempt.mark_issued(
                gateway_reference=charge.gateway_reference,
                qr_string=charge.qr_string,
                payment_url=charge.payment_url,
                expires_at=now + charge.valid_for,
                now=now,
            )
            await uow.payments.update(attempt)
            await uow.commit()
        return attempt
