"""The cashier takes cash for an order."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from application.audit import audit_record
from application.callers import Caller, Staff
from application.errors import GatewayError, NotFound, OrderPaid, ShiftRequired
from application.gateway import GatewayPaymentState, GatewayStatus
from application.gateway_cancellation import withdraw_closed_qr
from application.gateways import Gateways
from application.ports import Clock, ReferenceGenerator, UnitOfWorkFactory
from application.reconciliation import AttemptOutcome, AttemptReconciler
from application.retry import retry_on_conflict
from application.shift_access import require_drawer_staff
from domain.payments import Payment
from domain.settlement import take_cash

# The cashier waits at the till: one status request, no retries, at most this long.
CASH_STATUS_CHECK_TIMEOUT = timedelta(seconds=3)

logger = logging.getLogger("kasir.cash")

_NO_SHIFT = "cash goes into a drawer: open a shift first (POST /api/v1/shifts)"


@dataclass(frozen=True, slots=True)
class PayCash:
    """Records a cash payment of the order total by a named staff member, into the drawer of
    that staff member's open shift (ShiftRequired without one, API-token staff too).

    When the order has an open QRIS attempt, the gateway is asked once (at most
    `status_check_timeout`, no retries, within the attempt's shared status-check budget)
    whether that QR was just paid. If it was, the success is applied (the order is paid by
    QRIS) and the cash is refused with OrderPaid, so the customer does not pay twice. If no
    answer comes, the cash is taken: the attempt is cancelled in the same transaction, and
    reconciliation keeps watching it, so a late success becomes a refund to make.
    No transaction is held across the gateway call; locks are taken order first, then payment,
    then the shift (its conditional update: a shift closed meanwhile makes the transaction run
    again and refuse the cash with ShiftRequired, so cash is never lost from a closed drawer).
    """

    uow: UnitOfWorkFactory
    clock: Clock
    references: ReferenceGenerator
    gateways: Gateways  # the open attempt is asked about at its own gateway
    reconciler: AttemptReconciler
    status_check_timeout: timedelta = CASH_STATUS_CHECK_TIMEOUT

    async def execute(self, order_id: int, *, tendered: int, caller: Caller) -> Payment:
        """Raises Forbidden for a caller who is not a cashier or an admin, ShiftRequired
        without an open shift, NotFound, OrderNotPayable, InsufficientCash when tendered <
        total, or OrderPaid when the order's QR turned out to be paid just now."""
        staff = require_drawer_staff(caller)
        async with self.uow(read_only=True) as uow:  # before asking the gateway anything
            if await uow.shifts.find_open(staff.staff_id) is None:
                raise ShiftRequired(_NO_SHIFT)
        await self._refuse_if_the_qr_was_just_paid(order_id, tendered)
        payment, closed_qr = await retry_on_conflict(lambda: self._pay(order_id, tendered, staff))
        await withdraw_closed_qr(self.gateways, closed_qr, within=self.status_check_timeout)
        return payment

    async def _refuse_if_the_qr_was_just_paid(self, order_id: int, tendered: int) -> None:
        attempt = await self._claim_status_check(order_id, tendered)
        if attempt is None:
            return
        attempt_id = attempt.attempt_id
        try:
            async with asyncio.timeout(self.status_check_timeout.total_seconds()):
                gateway = self.gateways.named(attempt.gateway)
                status = await gateway.check_status_once(attempt_id)
            if status.state is not GatewayPaymentState.PAID:
                return
            outcome = await retry_on_conflict(lambda: self._apply(order_id, status))
        except (GatewayError, TimeoutError) as error:
            code = error.code if isinstance(error, GatewayError) else "no answer in time"
            logger.warning(
                "no answer about %s before taking cash (%s): taking the cash, the attempt stays "
                "watched",
                attempt_id,
                code,
            )
            return
        finally:
            self.reconciler.note_checked(attempt_id)
        if outcome is AttemptOutcome.ORDER_PAID:
            raise OrderPaid(
                f"order {order_id} was just paid by QRIS (payment {attempt_id}): take no cash"
            )

    async def _claim_status_check(self, order_id: int, tendered: int) -> Payment | None:
        """The open QRIS attempt to ask about, with its status-check budget taken; None when
        there is none to ask about or the budget is spent (which counts as no answer)."""
        async with self.uow() as uow:
            order = await uow.orders.get(order_id, for_update=True)
            if order is None or not order.awaits_payment or tendered < order.total:
                return None  # the cash transaction refuses it with the precise error
            attempt = await uow.payments.find_open_qris(order_id)
            if attempt is None or not await self.reconciler.claim_in(uow, attempt.attempt_id):
                return None
            await uow.commit()
        return attempt

    async def _apply(self, order_id: int, status: GatewayStatus) -> AttemptOutcome:
        """Apply the gateway's success as every confirmed success is applied."""
        async with self.uow() as uow:
            await uow.orders.get(order_id, for_update=True)  # the order row first, then payment
            applied = await self.reconciler.apply_in(uow, status)
            if applied.wrote:
                await uow.commit()
        return applied.outcome

    async def _pay(
        self, order_id: int, tendered: int, staff: Staff
    ) -> tuple[Payment, Payment | None]:
        """The cash payment, and the QRIS attempt it closed (None when there was none)."""
        async with self.uow() as uow:
            order = await uow.orders.get(order_id, for_update=True)
            if order is None:
                raise NotFound("order not found")
            shift = await uow.shifts.find_open(staff.staff_id)
            if shift is None:
                raise ShiftRequired(_NO_SHIFT)
            open_qris = await uow.payments.find_open_qris(order_id)
            payment = take_cash(
                order=order,
                open_qris=open_qris,
                attempt_id=self.references.new_attempt_id(),
                tendered=tendered,
                taken_by=staff.name,
                shift=shift,
                now=self.clock.now(),
            )
            if open_qris is not None:
                await uow.payments.update(open_qris)
            await uow.payments.add(payment)
            await uow.orders.update(order)
            await uow.shifts.update(shift)  # last: fails if the shift closed since it was read
            await uow.audit.append(
                audit_record(
                    staff,
                    "payment.cash_taken",
                    f"order:{order_id}",
                    at=payment.created_at,
                    before={"status": "awaiting_payment"},
                    after={
                        "status": order.status.value,
                        "payment": payment.attempt_id,
                        "amount": payment.amount,
                        "tendered": payment.cash_tendered,
                        "change_due": payment.change_due,
                        "shift_id": shift.key,
                    },
                )
            )
            await uow.commit()
        return payment, open_qris
