"""Reading one payment attempt by its merchant order id, and the QR an open attempt shows."""

from dataclasses import dataclass

from application.errors import NotFound, PaymentClosed
from application.ports import UnitOfWorkFactory
from domain.payments import Payment


@dataclass(frozen=True, slots=True)
class GetPayment:
    """The attempt and its status; the unguessable `attempt_id` is the capability to read it."""

    uow: UnitOfWorkFactory

    async def execute(self, attempt_id: str) -> Payment:
        async with self.uow(read_only=True) as uow:
            payment = await uow.payments.get(attempt_id)
        if payment is None:
            raise NotFound("payment not found")
        return payment

    async def qr_payload(self, attempt_id: str) -> str:
        """The QRIS payload to render, only while the attempt is open.

        Raises NotFound for an unknown attempt or one that never had a QR (cash, a refused
        create, one still being created), and PaymentClosed for a closed attempt's QR.
        """
        payment = await self.execute(attempt_id)
        if payment.qr_string is None:
            raise NotFound("this payment attempt has no QR code")
        if not payment.shows_qr:
            raise PaymentClosed(
                f"payment {attempt_id} is {payment.status.value}: its QR is no longer shown"
            )
        return payment.qr_string
