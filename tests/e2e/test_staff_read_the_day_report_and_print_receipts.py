"""The day report (JSON and CSV), receipts (JSON and thermal text) and the filtered order list,
through HTTP: each answer matches the OpenAPI document, bad input is a documented 4xx with a
stable code, and a customer's receipt never names the cashier."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from entrypoints.http.schemas.reports import CSV_COLUMNS

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, PlacedOrder

STAFF_NAME = "alice"  # conftest.STAFF_NAME
# Dates in the past: the stacks open alice's drawer at the real time, which must not fall on
# the days these tests report on.
LATE_EVENING = datetime(2025, 11, 30, 16, 30, tzinfo=UTC)  # 23:30 in Jakarta, 30 November
REPORT = "GET /api/v1/reports/daily"
RECEIPT = "GET /api/v1/orders/{order_id}/receipt"
ORDERS = "GET /api/v1/orders"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "restaurant_name": "Warung Sari",
        "restaurant_address": "Jl. Sabang No. 12, Jakarta",
        "restaurant_timezone": "Asia/Jakarta",
    }


async def drawer_open_at(api: FakeStack, at: datetime) -> None:
    """The staff member's drawer, opened at `at` (in the past of the stack's real-time shift,
    which is closed first: a drawer opened later than the cash it took cannot exist)."""
    current = await api.client.get("/api/v1/shifts/current", headers=api.staff)
    if current.status_code == 200:
        shift = current.json()
        if datetime.fromisoformat(shift["opened_at"]) <= at:
            return
        closed = await api.client.post(
            f"/api/v1/shifts/{shift['id']}/close",
            json={"counted_cash": shift["expected_cash"]},
            headers=api.staff,
        )
        assert closed.status_code == 200, closed.text
    api.clock.set(at)
    await api.open_shift()


async def paid_in_cash(api: FakeStack, *, at: datetime, table: str = "7") -> PlacedOrder:
    """An order placed and paid in cash at `at`, into the staff member's drawer."""
    await drawer_open_at(api, at)
    api.clock.set(at)
    order = await api.place_order(table=table)
    paid = await api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": order.id, "amount_tendered": order.total + 10_000},
        headers=api.staff,
    )
    assert paid.status_code == 201, paid.text
    return order


async def refund(api: FakeStack, order: PlacedOrder, amount: int) -> None:
    """An admin's small cash refund: approved at once, out of the admin's own drawer."""
    refunded = await api.client.post(
        f"/api/v1/orders/{order.id}/refunds",
        json={"amount": amount, "reason": "the soup was cold"},
        headers=api.staff,
    )
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["status"] == "approved"


async def test_the_day_report_counts_23_30_today_and_00_30_tomorrow_in_json_and_csv(
    fake_api: FakeStack,
) -> None:
    api = fake_api
    evening = await paid_in_cash(api, at=LATE_EVENING)
    await refund(api, evening, 10_000)
    await paid_in_cash(api, at=LATE_EVENING + timedelta(hours=1))  # 00:30 on 1 December

    report = await api.client.get(
        "/api/v1/reports/daily", params={"date": "2025-11-30"}, headers=api.staff
    )
    as_csv = await api.client.get(
        "/api/v1/reports/daily", params={"date": "2025-11-30", "format": "csv"}, headers=api.staff
    )

    await api.documented(report, REPORT)
    await api.documented(as_csv, REPORT)
    body = report.json()
    assert body["time_zone"] == "Asia/Jakarta"
    assert body["starts_at"].startswith("2025-11-29T17:00:00")
    assert body["orders"] == {"placed": 1, "paid": 1, "cancelled": 0}
    cash = {"payments": 1, "gross": 50_000, "refunds": 1, "refunded": 10_000, "net": 40_000}
    assert body["by_method"] == [
        {"method": "qris", "payments": 0, "gross": 0, "refunds": 0, "refunded": 0, "net": 0},
        {"method": "cash", **cash},
    ]
    assert body["total"] == {"method": "all", **cash}
    [shift] = body["shifts"]
    assert (shift["cashier"], shift["staff_id"], shift["closed_at"]) == (
        STAFF_NAME,
        f"token:{STAFF_NAME}",
        None,
    )
    assert shift["cash"] == {"method": "cash", **cash}
    assert report.headers["cache-control"] == as_csv.headers["cache-control"] == "no-store"
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "2025-11-30" in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    day = ["2025-11-30", "Asia/Jakarta"]
    money = ["1", "50000", "1", "10000", "40000"]
    assert rows == [
        list(CSV_COLUMNS),
        [*day, "method", "qris", "", "", "0", "0", "0", "0", "0", "", "", ""],
        [*day, "method", "cash", "", "", *money, "", "", ""],
        [*day, "day", "all", "", "", *money, "1", "1", "0"],
        [*day, "shift", "cash", str(shift["shift_id"]), STAFF_NAME, *money, "", "", ""],
    ]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"date": "30-11-2026"}, 400, "invalid_request"),
        ({"date": "2026-02-30"}, 400, "invalid_request"),
        ({"date": "2025-11-30", "format": "xlsx"}, 400, "invalid_request"),
        ({"date": "9999-12-31"}, 400, "invalid_query"),
    ],
)
async def test_a_bad_report_date_or_format_is_a_documented_400(
    fake_api: FakeStack, params: dict[str, str], status: int, code: str
) -> None:
    answer = await fake_api.client.get(
        "/api/v1/reports/daily", params=params, headers=fake_api.staff
    )
    fake_api.error(answer, status, code)
    await fake_api.documented(answer, REPORT)


async def test_without_a_date_the_report_is_of_today_where_the_restaurant_is(
    fake_api: FakeStack,
) -> None:
    fake_api.clock.set(LATE_EVENING + timedelta(hours=1))  # 00:30 on 1 December in Jakarta
    answer = await fake_api.client.get("/api/v1/reports/daily", headers=fake_api.staff)
    assert answer.status_code == 200, answer.text
    assert answer.json()["date"] == "2025-12-01"


async def test_the_day_report_needs_a_staff_token(fake_api: FakeStack) -> None:
    answer = await fake_api.client.get("/api/v1/reports/daily", params={"date": "2025-11-30"})
    fake_api.error(answer, 401, "unauthorized")


async def test_a_receipt_comes_as_json_and_as_text_for_both_papers_and_reprints_say_so(
    fake_api: FakeStack,
) -> None:
    api = fake_api
    order = await paid_in_cash(api, at=LATE_EVENING)
    path = f"/api/v1/orders/{order.id}/receipt"

    first = await api.client.get(path, headers=api.staff)
    wide = await api.client.get(path, params={"format": "text"}, headers=api.staff)
    narrow = await api.client.get(path, params={"format": "text", "width": "32"}, headers=api.staff)

    for answer in (first, wide, narrow):
        await api.documented(answer, RECEIPT)
        assert answer.headers["cache-control"] == "no-store"
    body = first.json()
    assert body["print_number"] == 1
    assert body["reprint"] is False
    assert body["restaurant_name"] == "Warung Sari"
    assert body["payment_method"] == "cash"
    assert body["cashier"] == STAFF_NAME
    assert (body["total"], body["amount_tendered"], body["change"]) == (
        order.total,
        order.total + 10_000,
        10_000,
    )
    assert body["paid_at"] == "2025-11-30T23:30:00+07:00"
    assert (body["refunds"], body["refunded"], body["net"]) == ([], 0, order.total)
    assert wide.headers["content-type"].startswith("text/plain")
    for answer, width in ((wide, 48), (narrow, 32)):
        lines = answer.text.splitlines()
        assert max(len(line) for line in lines) <= width
        assert "CETAK ULANG / REPRINT" in answer.text
        assert any(line.startswith("TOTAL") and line.endswith("Rp 50.000") for line in lines)
        assert "Waktu" in answer.text
        assert "30/11/2025 23:30" in answer.text


async def test_a_customer_gets_their_receipt_with_their_token_but_not_the_cashiers_name(
    fake_api: FakeStack,
) -> None:
    api = fake_api
    order = await paid_in_cash(api, at=LATE_EVENING)
    api.clock.set(LATE_EVENING + timedelta(minutes=10))
    await refund(api, order, 10_000)
    path = f"/api/v1/orders/{order.id}/receipt"

    as_json = await api.client.get(path, headers=order.headers)
    as_text = await api.client.get(path, params={"format": "text"}, headers=order.headers)
    anonymous = await api.client.get(path)
    wrong = await api.client.get(path, headers={"X-Order-Token": "not-this-orders-token"})

    assert as_json.status_code == as_text.status_code == 200
    assert as_json.json()["cashier"] is None
    assert as_json.json()["refunds"] == [
        {"amount": 10_000, "method": "cash", "refunded_at": "2025-11-30T23:40:00+07:00"}
    ]
    assert (as_json.json()["refunded"], as_json.json()["net"]) == (10_000, order.total - 10_000)
    assert "-Rp 10.000" in as_text.text
    assert "the soup was cold" not in as_json.text + as_text.text
    assert STAFF_NAME not in as_json.text
    assert STAFF_NAME not in as_text.text
    for refused in (anonymous, wrong):
        api.error(refused, 404, "not_found")
    assert anonymous.content == wrong.content


async def test_an_unpaid_order_has_no_receipt(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    before = fake_api.snapshot((*("orders", "payments"), "receipt_prints"))

    answer = await fake_api.client.get(f"/api/v1/orders/{order.id}/receipt", headers=fake_api.staff)

    fake_api.error(answer, 409, "order_not_paid")
    await fake_api.documented(answer, RECEIPT)
    assert fake_api.snapshot(("orders", "payments", "receipt_prints")) == before


@pytest.mark.parametrize(
    "params", [{"format": "pdf"}, {"format": "text", "width": "40"}, {"width": "0"}]
)
async def test_a_receipt_in_an_unknown_format_or_width_is_a_400(
    fake_api: FakeStack, params: dict[str, str]
) -> None:
    order = await paid_in_cash(fake_api, at=LATE_EVENING)
    answer = await fake_api.client.get(
        f"/api/v1/orders/{order.id}/receipt", params=params, headers=fake_api.staff
    )
    fake_api.error(answer, 400, "invalid_request")
    assert fake_api.count("receipt_prints") == 0


async def test_staff_filter_the_order_list_and_page_through_it_with_the_cursor(
    fake_api: FakeStack,
) -> None:
    api = fake_api
    at_table_3 = await paid_in_cash(api, at=LATE_EVENING, table="3")
    tomorrow = await paid_in_cash(api, at=LATE_EVENING + timedelta(hours=1), table="3")
    api.clock.set(LATE_EVENING + timedelta(hours=2))
    unpaid = await api.place_order(table="3")

    async def listed(**params: str) -> list[int]:
        answer = await api.client.get("/api/v1/orders", params=params, headers=api.staff)
        await api.documented(answer, ORDERS)
        return [item["id"] for item in answer.json()["items"]]

    first = await api.client.get("/api/v1/orders", params={"limit": "2"}, headers=api.staff)
    cursor = first.json()["next_cursor"]
    rest = await api.client.get(
        "/api/v1/orders", params={"limit": "2", "cursor": cursor}, headers=api.staff
    )

    assert [i["id"] for i in first.json()["items"] + rest.json()["items"]] == [
        unpaid.id,
        tomorrow.id,
        at_table_3.id,
    ]
    assert rest.json()["next_cursor"] is None
    assert await listed(date_from="2025-11-30", date_to="2025-11-30") == [at_table_3.id]
    assert await listed(date_from="2025-12-01") == [unpaid.id, tomorrow.id]
    assert await listed(method="cash", table="3") == [tomorrow.id, at_table_3.id]
    assert await listed(method="qris") == []
    assert await listed(cashier=f"token:{STAFF_NAME}", status="paid") == [
        tomorrow.id,
        at_table_3.id,
    ]
    assert await listed(cashier=STAFF_NAME) == []  # a staff id, not a name
    assert await listed(cashier="somebody-else") == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": "bm90LWEtY3Vyc29y"}, "invalid_query"),
        ({"date_from": "2025-12-01", "date_to": "2025-11-30"}, "invalid_query"),
        ({"date_from": "yesterday"}, "invalid_request"),
        ({"method": "card"}, "invalid_request"),
        ({"limit": "0"}, "invalid_request"),
        ({"limit": "201"}, "invalid_request"),
        ({"table": ""}, "invalid_request"),
    ],
)
async def test_a_bad_order_list_filter_is_a_documented_400(
    fake_api: FakeStack, params: dict[str, str], code: str
) -> None:
    answer = await fake_api.client.get("/api/v1/orders", params=params, headers=fake_api.staff)
    fake_api.error(answer, 400, code)
    await fake_api.documented(answer, ORDERS)
