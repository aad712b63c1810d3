"""Receipts, the day report and the order list on in-memory fakes: who may ask, what each
caller sees, and which questions are refused before anything is read or counted."""

from datetime import UTC, date, datetime, timedelta

import pytest
from tests.support.kasir_on_fakes import Kasir, Menu

from application.callers import Anonymous, OrderTokenHolder, Role, Staff
from application.errors import Forbidden, InvalidQuery, NotFound, OrderNotPaid
from application.reports import MoneyTotals, OrderFilter
from application.use_cases.refund_requests import RefundRequest
from domain.orders import Order
from domain.payments import PaymentMethod

pytestmark = pytest.mark.unit

CASHIER = Staff("sari", Role.CASHIER)
ADMIN = Staff("budi", Role.ADMIN)


@pytest.fixture(autouse=True)
async def drawers(kasir: Kasir) -> None:
    """Cash goes into a drawer: the cashier and the admin of these tests each have a shift."""
    await kasir.open_drawers(CASHIER, ADMIN)


async def paid_in_cash(kasir: Kasir, order: Order, *, by: Staff = CASHIER) -> None:
    await kasir.pay_cash.execute(order.key, tendered=100_000, caller=by)


async def test_an_approved_refund_is_on_the_receipt_with_what_stays_paid_and_no_reason(
    kasir: Kasir, order: Order
) -> None:
    await paid_in_cash(kasir, order)
    reason = "the soup was cold, said the table by the window"
    await kasir.request_refund().execute(
        RefundRequest(order_id=order.key, reason=reason, amount=5_000), caller=ADMIN
    )
    await kasir.request_refund().execute(  # a cashier's request waits for an admin
        RefundRequest(order_id=order.key, reason="not approved yet", amount=1_000), caller=CASHIER
    )
    holder = OrderTokenHolder.presenting("secret-access-token-0001")

    receipt = await kasir.get_receipt.execute(order.key, caller=holder)

    assert [(r.amount, r.method) for r in receipt.refunds] == [(5_000, PaymentMethod.CASH)]
    assert (receipt.total, receipt.refunded, receipt.net) == (55_000, 5_000, 50_000)
    assert reason not in repr(receipt)


async def test_a_receipt_is_only_for_a_paid_order_and_a_refusal_counts_no_copy(
    kasir: Kasir, order: Order
) -> None:
    with pytest.raises(OrderNotPaid):
        await kasir.get_receipt.execute(order.key, caller=CASHIER)
    assert kasir.receipt_prints.counts == {}

    await paid_in_cash(kasir, order)
    receipt = await kasir.get_receipt.execute(order.key, caller=CASHIER)

    assert receipt.print_number == 1
    assert not receipt.reprint
    assert (receipt.total, receipt.tendered, receipt.change) == (55_000, 100_000, 45_000)
    assert [(line.name, line.quantity, line.amount) for line in receipt.lines] == [
        ("Nasi goreng", 2, 50_000),
        ("Es teh manis", 1, 5_000),
    ]


async def test_every_copy_after_the_first_is_a_reprint(kasir: Kasir, order: Order) -> None:
    await paid_in_cash(kasir, order)
    copies = [await kasir.get_receipt.execute(order.key, caller=CASHIER) for _ in range(3)]
    assert [(c.print_number, c.reprint) for c in copies] == [(1, False), (2, True), (3, True)]


async def test_the_customers_copy_never_names_the_cashier(kasir: Kasir, order: Order) -> None:
    await paid_in_cash(kasir, order)
    holder = OrderTokenHolder.presenting("secret-access-token-0001")  # the order's own token
    staff_copy = await kasir.get_receipt.execute(order.key, caller=CASHIER)
    customer_copy = await kasir.get_receipt.execute(order.key, caller=holder)
    assert staff_copy.cashier == "sari"
    assert customer_copy.cashier is None


@pytest.mark.parametrize(
    "caller",
    [Anonymous(), OrderTokenHolder("hash-of-another-orders-token")],
    ids=["no token", "another order's token"],
)
async def test_a_receipt_without_the_orders_token_answers_like_an_unknown_order(
    kasir: Kasir, order: Order, caller: Anonymous | OrderTokenHolder
) -> None:
    await paid_in_cash(kasir, order)
    with pytest.raises(NotFound):
        await kasir.get_receipt.execute(order.key, caller=caller)
    assert kasir.receipt_prints.counts == {}


async def test_the_receipt_shows_times_in_the_restaurants_zone(kasir: Kasir, order: Order) -> None:
    kasir.clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 23:30 in Jakarta
    await paid_in_cash(kasir, order)
    receipt = await kasir.get_receipt.execute(order.key, caller=CASHIER)
    assert (receipt.paid_at.hour, receipt.paid_at.minute) == (23, 30)
    assert receipt.paid_at.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    "caller", [CASHIER, Anonymous(), OrderTokenHolder("hash")], ids=["cashier", "anon", "token"]
)
async def test_only_an_admin_reads_the_day_report(
    kasir: Kasir, caller: Staff | Anonymous | OrderTokenHolder
) -> None:
    with pytest.raises(Forbidden):
        await kasir.get_day_report.execute(date(2026, 11, 30), caller=caller)


async def test_the_day_report_counts_a_payment_at_23_30_today_and_one_at_00_30_tomorrow(
    kasir: Kasir, menu: Menu
) -> None:
    for at in (
        datetime(2026, 11, 30, 16, 30, tzinfo=UTC),
        datetime(2026, 11, 30, 17, 30, tzinfo=UTC),
    ):
        kasir.clock.set(at)
        await paid_in_cash(kasir, await kasir.place((menu.nasi_goreng, 1)))

    today = await kasir.get_day_report.execute(date(2026, 11, 30), caller=ADMIN)
    tomorrow = await kasir.get_day_report.execute(date(2026, 12, 1), caller=ADMIN)

    assert today.time_zone == "Asia/Jakarta"
    assert today.start == datetime(2026, 11, 29, 17, tzinfo=UTC)
    assert today.totals.method(PaymentMethod.CASH) == MoneyTotals(payments=1, gross=25_000)
    assert tomorrow.totals.method(PaymentMethod.CASH) == MoneyTotals(payments=1, gross=25_000)
    assert today.totals.orders.paid == tomorrow.totals.orders.paid == 1


async def test_a_date_at_the_edge_of_the_calendar_is_an_invalid_query(kasir: Kasir) -> None:
    with pytest.raises(InvalidQuery):
        await kasir.get_day_report.execute(date.max, caller=ADMIN)


@pytest.mark.parametrize(
    "cursor", ["not-base64!", "bm90IGpzb24", "WyJ4IiwgMV0", "WyIyMDI2LTExLTMwVDAwOjAwOjAwIiwgMV0"]
)
async def test_a_cursor_kasir_did_not_hand_out_is_an_invalid_query(
    kasir: Kasir, cursor: str
) -> None:
    with pytest.raises(InvalidQuery):
        await kasir.list_orders.execute(caller=CASHIER, cursor=cursor)


async def test_a_date_range_that_ends_before_it_starts_is_an_invalid_query(kasir: Kasir) -> None:
    with pytest.raises(InvalidQuery):
        await kasir.list_orders.execute(
            caller=CASHIER, date_from=date(2026, 12, 1), date_to=date(2026, 11, 30)
        )


async def test_the_order_list_pages_with_its_cursor_and_filters_by_local_dates(
    kasir: Kasir, menu: Menu
) -> None:
    placed = []
    for at in (
        datetime(2026, 11, 29, 16, 59, tzinfo=UTC),  # 23:59 on 29 November in Jakarta
        datetime(2026, 11, 29, 17, 0, tzinfo=UTC),  # 00:00 on 30 November
        datetime(2026, 11, 30, 16, 59, tzinfo=UTC),  # 23:59 on 30 November
        datetime(2026, 11, 30, 17, 0, tzinfo=UTC),  # 00:00 on 1 December
    ):
        kasir.clock.set(at)
        placed.append((await kasir.place((menu.es_teh, 1))).key)

    on_the_30th = await kasir.list_orders.execute(
        caller=CASHIER, date_from=date(2026, 11, 30), date_to=date(2026, 11, 30)
    )
    first = await kasir.list_orders.execute(caller=CASHIER, limit=3)
    assert first.next_cursor is not None
    rest = await kasir.list_orders.execute(caller=CASHIER, limit=3, cursor=first.next_cursor)

    assert [o.key for o in on_the_30th.orders] == [placed[2], placed[1]]
    assert [o.key for o in first.orders + rest.orders] == placed[::-1]
    assert rest.next_cursor is None


async def test_the_order_list_is_for_staff_only(kasir: Kasir) -> None:
    with pytest.raises(Forbidden):
        await kasir.list_orders.execute(caller=Anonymous(), where=OrderFilter())
