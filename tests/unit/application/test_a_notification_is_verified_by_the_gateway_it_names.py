"""A notification is read and verified by the gateway it names, not by the one that issues
new attempts: each gateway signs with its own merchant code and key, and has its own fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pytest

from adapters.in_memory.gateway import FakePaymentGateway
from application.callers import Staff
from application.errors import Conflict, NotificationRejected
from application.gateway import ReceivedNotification
from application.gateways import Gateways
from application.inbox import Verification
from application.reconciliation import AttemptOutcome, AttemptReconciler
from application.use_cases.handle_payment_notification import HandlePaymentNotification
from application.use_cases.notification_inbox import ReprocessNotification
from domain.orders import OrderStatus
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

    from domain.orders import Order
    from domain.payments import Payment


class OtherFields(FakePaymentGateway):
    """A gateway whose notifications name their attempt in fields Duitku does not have."""

    def read_notification(self, fields: Mapping[str, str]) -> ReceivedNotification:
        return ReceivedNotification(
            attempt_id=fields.get("transactionId"),
            signature=None,
            fields=dict(fields),
            fields_if_rejected={},
        )


def handler_for_both(kasir: Kasir, *, duitku_configured: bool = True) -> HandlePaymentNotification:
    """Duitku issued the attempt; a newer gateway, with its own merchant, key and fields,
    issues new attempts now (and, without `duitku_configured`, is the only one left)."""
    newer = gateways.verified_fake(OtherFields, merchant_code="NEWER01", signing_key="newer-key")
    configured = {"duitku": kasir.gateway} if duitku_configured else {}
    both = Gateways({**configured, "newer": newer}, default="newer")
    reconciler = AttemptReconciler(kasir.uow, both, kasir.clock, kasir.events)
    return HandlePaymentNotification(
        kasir.uow, both, reconciler, kasir.clock, kasir.scheduled_checks
    )


async def test_a_notification_is_verified_by_the_gateway_it_names(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    handler = handler_for_both(kasir)
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)

    assert handler.is_authentic(fields, gateway="duitku")
    assert not handler.is_authentic(fields)  # the newer gateway never signed it
    handled = await handler.execute(fields, gateway="duitku")

    assert handled.outcome is AttemptOutcome.ORDER_PAID
    assert kasir.order(order.key).status is OrderStatus.PAID
    entry = kasir.store.inbox[handled.entry_id]
    assert (entry.attempt_id, entry.signature) == (attempt.attempt_id, fields["signature"])
    assert handler.attempt_named_in(fields, gateway="duitku") == attempt.attempt_id


async def test_a_notification_signed_by_another_gateway_than_it_names_is_rejected(
    kasir: Kasir, attempt: Payment
) -> None:
    handler = handler_for_both(kasir)
    kasir.gateway.pay(attempt.attempt_id)

    with pytest.raises(NotificationRejected):
        await handler.execute(kasir.gateway.notification_for(attempt.attempt_id))

    [entry] = kasir.store.inbox.values()
    assert entry.verification is Verification.REJECTED
    assert kasir.gateway.status_checks == []


def test_the_attempt_a_notification_names_is_read_without_verifying_it(kasir: Kasir) -> None:
    forged = kasir.gateway.notification_for("KSR-TEST-0042") | {"signature": "f" * 64}

    assert kasir.handle_notification.attempt_named_in(forged) == "KSR-TEST-0042"
    assert kasir.handle_notification.attempt_named_in({}) is None


async def refused_for_its_address(
    kasir: Kasir, handler: HandlePaymentNotification, uid: str
) -> int:
    """Duitku's genuine success for `uid`, stored but refused for its source address: an
    entry staff re-process."""
    with pytest.raises(NotificationRejected):
        await handler.execute(
            kasir.gateway.notification_for(uid), gateway="duitku", source_allowed=False
        )
    [stored] = kasir.store.inbox
    return stored


async def test_each_inbox_entry_is_reprocessed_at_the_gateway_that_sent_it(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    handler = handler_for_both(kasir)  # the newer gateway is the default now
    kasir.gateway.pay(attempt.attempt_id)
    stored = await refused_for_its_address(kasir, handler, attempt.attempt_id)

    handled = await ReprocessNotification(kasir.uow, handler).execute(
        stored, caller=Staff("staff:sari")
    )

    assert handled.outcome is AttemptOutcome.ORDER_PAID
    assert kasir.order(order.key).status is OrderStatus.PAID
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    entry = kasir.store.inbox[stored]
    assert (entry.gateway, entry.verification) == ("duitku", Verification.VERIFIED)


async def test_an_entry_from_a_gateway_no_longer_configured_is_not_reprocessed(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    stored = await refused_for_its_address(kasir, handler_for_both(kasir), attempt.attempt_id)
    before = kasir.snapshot()
    only_newer = handler_for_both(kasir, duitku_configured=False)

    with pytest.raises(Conflict):
        await ReprocessNotification(kasir.uow, only_newer).execute(
            stored, caller=Staff("staff:sari")
        )

    assert kasir.snapshot() == before
    assert kasir.store.inbox[stored].verification is Verification.SOURCE_NOT_ALLOWED
