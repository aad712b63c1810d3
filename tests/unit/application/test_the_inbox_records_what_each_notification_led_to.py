"""Every notification's inbox entry says what happened to it: verified or not, its outcome, why
(for staff), and when it was processed, in each of the paths a notification can take. It keeps
only a bounded order id and signature, and a rolled-back first transaction never leaves a
second entry."""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from tests.support.kasir_on_fakes import RecordingUnitOfWork, RecordingUnitOfWorkFactory

from adapters.in_memory.gateway import FakePaymentGateway
from adapters.in_memory.store import InMemoryStore
from adapters.wakeups import LocalWakeups
from application.callers import Staff
from application.errors import (
    ApplicationError,
    ConcurrentUpdate,
    GatewayUnavailable,
    InvalidNotification,
    NotificationRejected,
    StatusUnconfirmed,
)
from application.gateway import GatewayStatus
from application.inbox import MAX_REJECTED_FIELD_CHARS, InboxEntry, Verification
from application.use_cases.notification_inbox import ReprocessNotification
from domain.orders import OrderStatus
from entrypoints import gateways

if TYPE_CHECKING:
    from tests.support.kasir_on_fakes import Kasir

    from domain.orders import Order
    from domain.payments import Payment

STAFF = Staff("staff:sari")
GIVE_UP_CHECKING = "the gateway keeps refusing the status check"


def assert_recorded(
    entry: InboxEntry, outcome: str, detail: str | None, processed_at: datetime
) -> None:
    assert (entry.verification, entry.outcome, entry.detail, entry.processed_at) == (
        Verification.VERIFIED,
        outcome,
        detail,
        processed_at,
    )


async def open_review(kasir: Kasir, attempt_id: str) -> None:
    """Staff now decide about the attempt: kasir schedules no status check of its own for it."""
    async with kasir.uow() as uow:
        await uow.payments.flag_for_review(
            attempt_id, reason=GIVE_UP_CHECKING, now=kasir.clock.now(), next_check_at=None
        )
        await uow.commit()


# --- what a verified notification leaves in the inbox --------------------------------------


async def test_a_duplicate_of_a_settled_payment_is_recorded_verified_and_processed_at_once(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    await kasir.handle_notification.execute(fields)
    kasir.clock.advance(timedelta(seconds=5))

    duplicate = await kasir.handle_notification.execute(fields)

    entry = kasir.store.inbox[duplicate.entry_id]
    assert entry.received_at == kasir.clock.now()
    assert_recorded(entry, "already_settled", None, kasir.clock.now())


class WatchedGateway(FakePaymentGateway):
    """Copies the committed inbox at the moment it is asked for a status."""

    store: InMemoryStore | None = None
    inbox_while_asked: list[InboxEntry]

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        assert self.store is not None
        self.inbox_while_asked = copy.deepcopy(list(self.store.inbox.values()))
        return await super().check_status(attempt_id)


async def test_while_the_gateway_is_asked_the_entry_is_stored_verified_and_not_yet_processed(
    kasir: Kasir, order: Order
) -> None:
    gateway = gateways.verified_fake(WatchedGateway)
    gateway.store = kasir.store
    kasir.gateway = gateway
    attempt = (await kasir.start(order)).payment
    kasir.gateway.pay(attempt.attempt_id)

    await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))

    [entry] = gateway.inbox_while_asked
    # A process that dies now leaves a verified entry visibly waiting for its answer.
    assert (entry.verification, entry.outcome, entry.processed_at) == (
        Verification.VERIFIED,
        None,
        None,
    )


async def test_a_failure_notification_while_the_budget_is_spent_is_recorded_still_pending(
    kasir: Kasir, attempt: Payment
) -> None:
    await kasir.reconciler.reconcile(attempt.attempt_id)
    kasir.clock.advance(timedelta(seconds=5))

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="02")
    )

    assert handled.outcome.value == "still_pending"
    assert_recorded(kasir.store.inbox[handled.entry_id], "still_pending", None, kasir.clock.now())
    assert kasir.gateway.status_checks == [attempt.attempt_id]


class YieldingGateway(FakePaymentGateway):
    """A status check that lets every other task run first, as a network call would."""

    async def check_status(self, attempt_id: str) -> GatewayStatus:
        await asyncio.sleep(0)
        return await super().check_status(attempt_id)


async def test_a_duplicate_settled_by_another_process_meanwhile_is_recorded_already_settled(
    kasir: Kasir, order: Order
) -> None:
    kasir.gateway = gateways.verified_fake(YieldingGateway)
    attempt = (await kasir.start(order)).payment
    kasir.gateway.pay(attempt.attempt_id)
    fields = kasir.gateway.notification_for(attempt.attempt_id)
    kasir.forget_history()

    first, duplicate = await asyncio.gather(
        kasir.handle_notification.execute(dict(fields)),
        kasir.handle_notification_in_another_process().execute(dict(fields)),
    )

    assert (first.outcome.value, duplicate.outcome.value) == ("order_paid", "already_settled")
    assert kasir.gateway.status_checks == [attempt.attempt_id]
    entry = kasir.store.inbox[duplicate.entry_id]
    assert_recorded(entry, "already_settled", None, kasir.clock.now())


async def test_a_success_checked_here_moments_ago_is_scheduled_at_once_with_its_reason(
    kasir: Kasir, attempt: Payment
) -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    kasir.pause = pause
    await kasir.reconciler.reconcile(attempt.attempt_id)  # pending at the gateway
    checked_at = kasir.clock.now()
    kasir.clock.advance(timedelta(seconds=5))

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    assert handled.outcome.value == "scheduled"
    # This process knows the answer of its own check: it looks once and does not wait for one.
    assert pauses == []
    due = checked_at + kasir.min_check_interval
    assert_recorded(
        kasir.store.inbox[handled.entry_id],
        "scheduled",
        f"the payment status was checked moments ago; status check scheduled at {due.isoformat()}",
        kasir.clock.now(),
    )


async def test_a_success_the_gateway_does_not_confirm_yet_is_scheduled_with_its_reason(
    kasir: Kasir, attempt: Payment
) -> None:
    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    due = kasir.clock.now() + kasir.min_check_interval
    assert_recorded(
        kasir.store.inbox[handled.entry_id],
        "scheduled",
        f"the gateway does not confirm the payment yet; status check scheduled at "
        f"{due.isoformat()}",
        kasir.clock.now(),
    )


class BrokenAlarm(LocalWakeups):
    """The local runner cannot be woken (the process is going down)."""

    def wake_at(self, due_at: datetime) -> None:
        raise RuntimeError("the runner is gone")


async def test_an_unconfirmed_success_is_stored_deferred_before_its_check_is_scheduled(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.alarm = BrokenAlarm()

    with pytest.raises(RuntimeError):
        await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))

    # What the gateway's answer left committed, should nothing after it happen.
    [entry] = kasir.store.inbox.values()
    assert_recorded(
        entry, "deferred", "the gateway does not confirm the payment yet", kasir.clock.now()
    )


async def test_a_success_neither_confirmed_nor_schedulable_asks_for_a_resend_naming_the_cause(
    kasir: Kasir, attempt: Payment
) -> None:
    await open_review(kasir, attempt.attempt_id)
    failure = GatewayUnavailable("status endpoint down")
    kasir.gateway.pay(attempt.attempt_id)
    kasir.gateway.fail_next_status(failure)

    with pytest.raises(StatusUnconfirmed) as unconfirmed:
        await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))

    assert unconfirmed.value.message == "the payment status could not be checked"
    assert unconfirmed.value.__cause__ is failure
    [entry] = kasir.store.inbox.values()
    assert_recorded(entry, "deferred", "the payment status could not be checked", kasir.clock.now())


async def test_a_success_the_gateway_contradicts_is_recorded_as_verified(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id)
    )

    entry = kasir.store.inbox[handled.entry_id]
    assert (entry.verification, entry.outcome, entry.processed_at) == (
        Verification.VERIFIED,
        "contradicted",
        kasir.clock.now(),
    )
    assert entry.needs_review


# --- what an entry keeps ---------------------------------------------------------------------


async def test_the_stored_order_id_and_signature_are_bounded_whatever_length_is_sent(
    kasir: Kasir,
) -> None:
    long_uid, long_signature = "K" * 100, "f" * 300
    fields = {"merchantOrderId": long_uid, "signature": long_signature}

    with pytest.raises(ApplicationError):
        await kasir.handle_notification.execute(fields)

    [entry] = kasir.store.inbox.values()
    assert (entry.attempt_id, entry.signature) == (long_uid[:64], long_signature[:128])


async def test_a_notification_without_order_id_or_signature_stores_neither(kasir: Kasir) -> None:
    with pytest.raises(InvalidNotification):
        await kasir.handle_notification.execute({"merchantOrderId": "", "amount": "5"})

    [entry] = kasir.store.inbox.values()
    assert (entry.attempt_id, entry.signature) == (None, None)


async def test_a_notification_that_never_verifies_keeps_only_bounded_known_fields(
    kasir: Kasir, attempt: Payment
) -> None:
    sent = kasir.gateway.notification_for(attempt.attempt_id)
    fields = sent | {"signature": "f" * 1_000, "junk": "x" * 100}

    with pytest.raises(InvalidNotification):  # that signature is no digest at all
        await kasir.handle_notification.execute(fields)

    [entry] = kasir.store.inbox.values()
    assert entry.verification is Verification.INVALID
    assert entry.fields == sent | {"signature": "f" * MAX_REJECTED_FIELD_CHARS}


# --- telling the genuine apart without storing anything ---------------------------------------


async def test_only_a_genuine_notification_is_authentic_and_asking_stores_nothing(
    kasir: Kasir, attempt: Payment
) -> None:
    genuine = kasir.gateway.notification_for(attempt.attempt_id)
    handler = kasir.handle_notification

    assert handler.is_authentic(genuine)
    assert not handler.is_authentic(genuine | {"signature": "f" * 64})
    assert not handler.is_authentic({"merchantOrderId": attempt.attempt_id})
    assert kasir.store.inbox == {}


# --- staff re-processing a stored entry -------------------------------------------------------


async def test_staff_reprocessing_a_genuine_notification_from_a_refused_address_applies_it(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    with pytest.raises(NotificationRejected):
        await kasir.handle_notification.execute(
            kasir.gateway.notification_for(attempt.attempt_id), source_allowed=False
        )
    [stored] = kasir.store.inbox

    handled = await ReprocessNotification(kasir.uow, kasir.handle_notification).execute(
        stored, caller=STAFF
    )

    assert handled.outcome.value == "order_paid"
    assert kasir.order(order.key).status is OrderStatus.PAID
    assert kasir.store.inbox[stored].verification is Verification.VERIFIED


class LosesFirstCommitUnit(RecordingUnitOfWork):
    async def commit(self) -> None:
        if LosesFirstCommit.to_lose:
            LosesFirstCommit.to_lose -= 1
            raise ConcurrentUpdate("another transaction changed the row first")
        await super().commit()


class LosesFirstCommit(RecordingUnitOfWorkFactory):
    """Units of work whose next `to_lose` commits lose a race (and are rolled back)."""

    to_lose = 0

    def __call__(self, *, read_only: bool = False) -> RecordingUnitOfWork:
        return LosesFirstCommitUnit(self.store, read_only=read_only, factory=self)


async def test_reprocessing_whose_first_transaction_loses_a_race_keeps_one_entry(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    with pytest.raises(NotificationRejected):
        await kasir.handle_notification.execute(
            kasir.gateway.notification_for(attempt.attempt_id), source_allowed=False
        )
    [stored] = kasir.store.inbox
    kasir.uow = LosesFirstCommit(kasir.store)
    LosesFirstCommit.to_lose = 1

    handled = await ReprocessNotification(kasir.uow, kasir.handle_notification).execute(
        stored, caller=STAFF
    )

    assert LosesFirstCommit.to_lose == 0
    assert handled.entry_id == stored
    assert list(kasir.store.inbox) == [stored]
    assert kasir.store.inbox[stored].outcome == "order_paid"


async def test_a_failure_notification_whose_status_check_fails_is_recorded_still_pending(
    kasir: Kasir, attempt: Payment
) -> None:
    kasir.gateway.fail_next_status(GatewayUnavailable("status endpoint down"))

    handled = await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="02")
    )

    # Nothing to confirm: no resend asked, no check scheduled; the job watches the attempt.
    assert handled.outcome.value == "still_pending"
    assert_recorded(
        kasir.store.inbox[handled.entry_id],
        "still_pending",
        "the payment status could not be checked",
        kasir.clock.now(),
    )
