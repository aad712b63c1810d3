"""The customer's view of an order (application.live_status), shared by the payment page, its
polling and the live stream: one of four statuses, and a QR only while its attempt is open and
not past its expiry; a new QR may be asked for only when none is open or being made."""

from datetime import timedelta

import pytest
from tests.support.kasir_on_fakes import Kasir

from application.callers import OrderPassHolder, OrderTokenHolder, Staff
from application.errors import NotFound
from application.live_status import GetLiveStatus, LiveStatus, OrderLiveView
from domain.orders import Order
from domain.payments import Payment


async def _view(kasir: Kasir, order: Order) -> OrderLiveView:
    return await GetLiveStatus(kasir.uow, kasir.clock).execute(
        order.key, caller=OrderPassHolder(order.key)
    )


async def test_an_order_without_an_attempt_awaits_payment_and_may_ask_for_a_qr(
    kasir: Kasir, order: Order
) -> None:
    view = await _view(kasir, order)

    assert (view.status, view.showing, view.preparing) == (LiveStatus.AWAITING_PAYMENT, None, False)
    assert view.may_request_qr
    assert not view.settled


async def test_an_open_attempt_shows_its_qr_and_no_new_one_is_offered(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    view = await _view(kasir, order)

    assert view.status is LiveStatus.AWAITING_PAYMENT
    assert view.showing is not None
    assert view.showing.attempt_id == attempt.attempt_id
    assert not view.may_request_qr


async def test_a_qr_past_its_expiry_is_not_shown_even_before_the_gateway_confirms_it(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    assert attempt.expires_at is not None
    kasir.clock.set(attempt.expires_at)

    view = await _view(kasir, order)

    assert view.status is LiveStatus.EXPIRED
    assert view.showing is None
    assert view.may_request_qr


async def test_a_failed_attempt_leaves_the_order_expired_with_a_new_qr_offered(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="02")
    )

    view = await _view(kasir, order)

    assert kasir.payment(attempt.attempt_id).status.value == "failed"
    assert (view.status, view.showing, view.may_request_qr) == (LiveStatus.EXPIRED, None, True)


async def test_a_paid_order_is_settled_with_the_paying_attempt_and_no_qr(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.pay(attempt.attempt_id)
    await kasir.handle_notification.execute(kasir.gateway.notification_for(attempt.attempt_id))

    view = await _view(kasir, order)

    assert view.status is LiveStatus.PAID
    assert view.settled
    assert view.paid_by is not None
    assert view.paid_by.attempt_id == attempt.attempt_id
    assert (view.showing, view.may_request_qr) == (None, False)


async def test_a_cancelled_order_is_settled_and_shows_no_qr(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    await kasir.cancel_order.execute(order.key, reason="the table left", caller=Staff("sari"))

    view = await _view(kasir, order)

    assert (view.status, view.showing, view.may_request_qr) == (LiveStatus.CANCELLED, None, False)
    assert view.settled


async def test_a_newer_attempt_is_the_one_shown(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    kasir.gateway.fail(attempt.attempt_id)
    await kasir.handle_notification.execute(
        kasir.gateway.notification_for(attempt.attempt_id, result_code="02")
    )
    kasir.clock.advance(timedelta(seconds=1))
    newer = (await kasir.start(order)).payment

    view = await _view(kasir, order)

    assert view.showing is not None
    assert view.showing.attempt_id == newer.attempt_id


@pytest.mark.parametrize(
    "caller",
    [OrderPassHolder(999), OrderTokenHolder("0" * 64)],
    ids=["another order's pass", "a wrong token"],
)
async def test_nobody_else_learns_the_orders_status(
    kasir: Kasir, order: Order, caller: OrderPassHolder | OrderTokenHolder
) -> None:
    with pytest.raises(NotFound):
        await GetLiveStatus(kasir.uow, kasir.clock).execute(order.key, caller=caller)


async def test_the_view_carries_the_orders_events_after_a_sequence_number(
    kasir: Kasir, order: Order, attempt: Payment
) -> None:
    everything = await GetLiveStatus(kasir.uow, kasir.clock).execute(
        order.key, caller=OrderPassHolder(order.key)
    )
    await kasir.cancel_order.execute(order.key, reason="the table left", caller=Staff("sari"))
    news = await GetLiveStatus(kasir.uow, kasir.clock).execute(
        order.key, caller=OrderPassHolder(order.key), after_seq=everything.last_seq
    )

    assert [e.seq for e in everything.events] == list(range(1, everything.last_seq + 1))
    assert [e.seq for e in news.events] == list(range(everything.last_seq + 1, news.last_seq + 1))
    assert "order.cancelled" in [e.type for e in news.events]
