"""The fake gateway of `make bench`: every customer pays at once.

A benchmark callback must find its transaction paid when kasir confirms it with a status
check, without a step that pays it first. This subclass of the fake does only that, so the
fake itself keeps no benchmark knobs. Wired by entrypoints.gateways when
FAKE_GATEWAY_AUTO_PAY=true, which settings refuse unless DUITKU_ENV=fake.
"""

from typing import Any

from adapters.in_memory.gateway import FakePaymentGateway
from application.gateway import GatewayPaymentState, GatewayStatus


class AutoPayingFakeGateway(FakePaymentGateway):
    """Reports every transaction it created as paid. With `auto_pay_amount`, it also reports
    any unknown one as paid that amount: with several server processes, a callback can reach
    a process whose fake never saw the transaction (every benchmark order costs the same)."""

    def __init__(self, *, auto_pay_amount: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.auto_pay_amount = auto_pay_amount

    def __repr__(self) -> str:
        return f"AutoPayingFakeGateway(merchant_code={self.merchant_code!r})"

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        transaction = self.transactions.get(attempt_id)
        if transaction is not None and transaction.state is GatewayPaymentState.PENDING:
            transaction.state = GatewayPaymentState.PAID
        status = await super().check_status(attempt_id)
        if status.state is GatewayPaymentState.NOT_FOUND and self.auto_pay_amount is not None:
            return GatewayStatus(attempt_id, GatewayPaymentState.PAID, self.auto_pay_amount)
        return status
