"""A cashier's day over HTTP: open a shift, take cash, pay out, close; refunds go through an
admin; bad input to any of it gets a clear 4xx with a stable code and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from litestar.exceptions import NotAuthorizedException
from tests.support.overrides import replace

from application.callers import Role, Staff

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, PlacedOrder

# Who the test's bearer tokens are (stored accounts with roles, as the staff login makes them).
PEOPLE = {
    "budi-token": Staff("Budi", Role.CASHIER, staff_id="account:2"),
    "dewi-token": Staff("Dewi", Role.CASHIER, staff_id="account:3"),
    "rudi-token": Staff("Rudi", Role.ADMIN, staff_id="account:4"),
}
BUDI = {"Authorization": "Bearer budi-token"}
DEWI = {"Authorization": "Bearer dewi-token"}
RUDI = {"Authorization": "Bearer rudi-token"}
ALICE = {"Authorization": "Bearer alice-token-0123456789"}  # admin API token; her shift is open
TABLES = ("orders", "payments", "shifts", "shift_cash_movements", "refunds")


class TokensWithRoles:
    """The staff authenticator, with a few staff members of each role besides alice."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def identify(self, authorization: str | None) -> Staff | None:
        token = (authorization or "").removeprefix("Bearer ")
        known = PEOPLE.get(token)
        return known if known is not None else await self._inner.identify(authorization)

    async def require(self, authorization: str | None) -> Staff:
        staff = await self.identify(authorization)
        if staff is None:
            raise NotAuthorizedException("no", headers={"WWW-Authenticate": "Bearer"})
        return staff


@pytest.fixture
def api(fake_api: FakeStack) -> FakeStack:
    inner = fake_api.container.staff_authenticator()
    replace(fake_api.container, staff_authenticator=TokensWithRoles(inner))
    return fake_api


async def post(api: FakeStack, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = await api.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    await api.documented(response, f"POST {_template(path)}")
    return response.json()


def _template(path: str) -> str:
    parts = path.split("/")
    names = {"shifts": "{shift_id}", "orders": "{order_id}", "refunds": "{refund_id}"}
    return "/".join(
        names[parts[i - 1]] if part.isdigit() and parts[i - 1] in names else part
        for i, part in enumerate(parts)
    )


async def test_a_cashier_opens_takes_cash_pays_out_and_closes_with_the_z_report(
    api: FakeStack,
) -> None:
    shift = await post(api, "/api/v1/shifts", {"opening_float": 200_000}, BUDI)
    order = await api.place_order()
    cash = await post(
        api, "/api/v1/payments/cash", {"order_id": order.id, "amount_tendered": 100_000}, BUDI
    )
    await post(
        api,
        f"/api/v1/shifts/{shift['id']}/cash-movements",
        {"kind": "paid_out", "amount": 15_000, "reason": "ice from the shop"},
        BUDI,
    )
    x_report = (await api.client.get("/api/v1/shifts/current", headers=BUDI)).json()

    z_report = await post(
        api,
        f"/api/v1/shifts/{shift['id']}/close",
        {"counted_cash": 230_000, "note": "one coin short"},
        BUDI,
    )

    expected = 200_000 + order.total - 15_000
    assert (cash["change_due"], x_report["report"], x_report["expected_cash"]) == (
        100_000 - order.total,
        "X",
        expected,
    )
    assert {k: z_report[k] for k in ("report", "expected_cash", "counted_cash", "difference")} == {
        "report": "Z",
        "expected_cash": expected,
        "counted_cash": 230_000,
        "difference": 230_000 - expected,
    }
    assert [m["reason"] for m in z_report["movements"]] == ["ice from the shop"]
    again = await api.client.get(f"/api/v1/shifts/{shift['id']}/report", headers=RUDI)
    assert again.json() == z_report


async def test_a_cashiers_refund_is_approved_by_an_admin_and_comes_out_of_her_drawer(
    api: FakeStack,
) -> None:
    shift = await post(api, "/api/v1/shifts", {"opening_float": 0}, BUDI)
    order = await api.place_order()
    await post(
        api, "/api/v1/payments/cash", {"order_id": order.id, "amount_tendered": order.total}, BUDI
    )

    refund = await post(
        api,
        f"/api/v1/orders/{order.id}/refunds",
        {"lines": [{"line_no": 1, "quantity": 1}], "reason": "cold"},
        BUDI,
    )
    approved = await post(api, f"/api/v1/refunds/{refund['id']}/approve", {}, ALICE)

    assert (refund["status"], refund["amount"]) == ("requested", order.total // 2)
    assert (approved["status"], approved["shift_id"], approved["made_by_hand"]) == (
        "approved",
        shift["id"],
        False,
    )
    report = (await api.client.get("/api/v1/shifts/current", headers=BUDI)).json()
    assert (report["cash_refunds"], report["expected_cash"]) == (
        order.total // 2,
        order.total - order.total // 2,
    )


Setup = Callable[["FakeStack"], Any]


async def _paid(api: FakeStack) -> PlacedOrder:
    order = await api.place_order()
    await post(
        api, "/api/v1/payments/cash", {"order_id": order.id, "amount_tendered": order.total}, ALICE
    )
    return order


async def _budis_shift(api: FakeStack) -> dict[str, Any]:
    return await post(api, "/api/v1/shifts", {"opening_float": 0}, BUDI)  # type: ignore[no-any-return]


async def _own_refund(api: FakeStack) -> dict[str, Any]:
    order = await _paid(api)
    # Above the approval threshold: it waits for another admin.
    return await post(  # type: ignore[no-any-return]
        api, f"/api/v1/orders/{order.id}/refunds", {"amount": order.total, "reason": "cold"}, ALICE
    )


BAD_REQUESTS: list[tuple[str, Any, Any, dict[str, str], int, str]] = [
    (
        "negative float",
        None,
        ("/api/v1/shifts", {"opening_float": -1}),
        DEWI,
        400,
        "invalid_request",
    ),
    (
        "a second open shift",
        None,
        ("/api/v1/shifts", {"opening_float": 0}),
        ALICE,
        409,
        "shift_already_open",
    ),
    (
        "cash without a shift",
        None,
        ("/api/v1/payments/cash", {"order_id": "{order}", "amount_tendered": 100_000}),
        DEWI,
        409,
        "shift_required",
    ),
    (
        "closing someone else's shift",
        _budis_shift,
        ("/api/v1/shifts/{id}/close", {"counted_cash": 0}),
        DEWI,
        403,
        "not_your_shift",
    ),
    (
        "paying out of someone else's shift",
        _budis_shift,
        ("/api/v1/shifts/{id}/cash-movements", {"kind": "paid_out", "amount": 1, "reason": "x"}),
        DEWI,
        403,
        "not_your_shift",
    ),
    (
        "a paid-out without a reason",
        _budis_shift,
        ("/api/v1/shifts/{id}/cash-movements", {"kind": "paid_out", "amount": 5}),
        BUDI,
        422,
        "reason_required",
    ),
    (
        "a refund above what was paid",
        _paid,
        ("/api/v1/orders/{id}/refunds", {"amount": 10_000_000, "reason": "x"}),
        ALICE,
        422,
        "refund_exceeds_paid",
    ),
    (
        "a refund by amount and lines",
        _paid,
        (
            "/api/v1/orders/{id}/refunds",
            {"amount": 1, "lines": [{"line_no": 1, "quantity": 1}], "reason": "x"},
        ),
        ALICE,
        422,
        "invalid_refund",
    ),
    (
        "a refund without a reason",
        _paid,
        ("/api/v1/orders/{id}/refunds", {"amount": 1}),
        ALICE,
        422,
        "reason_required",
    ),
    (
        "a refund of an unpaid order",
        None,
        ("/api/v1/orders/{order}/refunds", {"amount": 1, "reason": "x"}),
        ALICE,
        409,
        "order_not_refundable",
    ),
    (
        "approving your own refund",
        _own_refund,
        ("/api/v1/refunds/{id}/approve", {}),
        ALICE,
        403,
        "own_refund_approval",
    ),
    (
        "a cashier approving a refund",
        _own_refund,
        ("/api/v1/refunds/{id}/approve", {}),
        BUDI,
        403,
        "forbidden",
    ),
    (
        "a void without a reason",
        None,
        ("/api/v1/orders/{order}/cancel", {"reason": ""}),
        BUDI,
        422,
        "reason_required",
    ),
]


@pytest.mark.parametrize(
    ("setup", "request_", "headers", "status", "code"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
async def test_bad_drawer_and_refund_requests_get_a_clear_4xx_and_change_nothing(
    api: FakeStack,
    setup: Setup | None,
    request_: tuple[str, Any],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    waiting = await api.place_order()
    made = await setup(api) if setup is not None else None
    path, body = request_
    path = path.replace("{order}", str(waiting.id))
    if made is not None:
        path = path.replace("{id}", str(made["id"] if isinstance(made, dict) else made.id))
    if isinstance(body, dict) and body.get("order_id") == "{order}":
        body = {**body, "order_id": waiting.id}
    before = api.snapshot(TABLES)

    response = await api.client.post(path, json=body, headers=headers)

    api.error(response, status, code)
    await api.documented(response, f"POST {_template(path)}")
    assert api.snapshot(TABLES) == before


async def test_a_retried_paid_out_or_refund_request_with_its_key_counts_once(
    api: FakeStack,
) -> None:
    shift = await post(api, "/api/v1/shifts", {"opening_float": 100_000}, BUDI)
    order = await _paid(api)
    retried = [
        (
            f"/api/v1/shifts/{shift['id']}/cash-movements",
            {"kind": "paid_out", "amount": 5_000, "reason": "ice"},
        ),
        (f"/api/v1/orders/{order.id}/refunds", {"amount": 1_000, "reason": "cold"}),
    ]

    for n, (path, body) in enumerate(retried):
        key = {"Idempotency-Key": f"drawer-retry-key-{n:04d}"}
        first = await api.client.post(path, json=body, headers={**BUDI, **key})
        again = await api.client.post(path, json=body, headers={**BUDI, **key})
        assert (first.status_code, again.json()) == (201, first.json())

    report = (await api.client.get("/api/v1/shifts/current", headers=BUDI)).json()
    assert (report["paid_out"], report["expected_cash"]) == (5_000, 95_000)
    assert api.count("refunds") == 1
