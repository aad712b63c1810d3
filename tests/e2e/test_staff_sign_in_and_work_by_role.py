"""Staff over HTTP: an admin adds a cashier, the cashier signs in and works, failures lock only
the guesser's own address, a deactivated cashier is out at once, and the audit log tells it all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, SimulatorStack

BASE_URL = "http://testserver.local"
PASSWORD = "sari-password-123"
TILL = "192.0.2.10"
ELSEWHERE = "203.0.113.66"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The client address comes from X-Forwarded-For only from a trusted proxy: the requests
    # below come through one at 10.0.0.1, so each says which address it comes from.
    return {"trusted_proxies": "10.0.0.1", "login_lock_after_failures": 5}


async def add_cashier(api: SimulatorStack | FakeStack, name: str = "Sari") -> int:
    response = await api.client.post(
        "/api/v1/staff",
        json={"name": name, "role": "cashier", "password": PASSWORD},
        headers=api.staff,
    )
    assert response.status_code == 201, response.text
    await api.documented(response, "POST /api/v1/staff")
    account_id: int = response.json()["id"]
    return account_id


async def log_in(
    api: SimulatorStack | FakeStack, name: str, password: str, address: str = TILL
) -> httpx.Response:
    transport = httpx.ASGITransport(app=api.client.app, client=("10.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as proxy:
        return await proxy.post(
            "/api/v1/auth/login",
            json={"name": name, "password": password},
            headers={"X-Forwarded-For": address},
        )


async def session(api: SimulatorStack | FakeStack, name: str = "Sari") -> dict[str, str]:
    response = await log_in(api, name, PASSWORD)
    assert response.status_code == 200, response.text
    await api.documented(response, "POST /api/v1/auth/login")
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_a_cashier_signs_in_takes_cash_cannot_change_the_menu_and_signs_out(
    api: SimulatorStack,
) -> None:
    sari_id = await add_cashier(api)
    response = await log_in(api, "sari", PASSWORD)
    body = response.json()
    sari = {"Authorization": f"Bearer {body['token']}"}
    order = await api.place_order()
    await api.open_shift(headers=sari)  # her till: the cash she takes goes into it

    cash = await api.client.post(
        "/api/v1/payments/cash",
        json={"order_id": order.id, "amount_tendered": 100_000},
        headers=sari,
    )
    menu = await api.client.post(
        "/api/v1/menu-items", json={"name": "Kopi", "price": 9_000}, headers=sari
    )
    out = await api.client.post("/api/v1/auth/logout", headers=sari)
    after = await api.client.get("/api/v1/orders", headers=sari)

    assert body["staff"] == {"id": f"account:{sari_id}", "name": "Sari", "role": "cashier"}
    assert cash.status_code == 201, cash.text
    assert cash.json()["taken_by"] == "Sari"
    api.error(menu, 403, "forbidden")
    assert out.status_code == 204
    api.error(after, 401, "unauthorized")


async def test_wrong_name_and_wrong_password_answer_the_same_and_never_echo_the_input(
    api: SimulatorStack,
) -> None:
    await add_cashier(api)

    unknown = await log_in(api, "Nobody", PASSWORD)
    wrong = await log_in(api, "Sari", "not-her-password")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    api.error(wrong, 401, "invalid_credentials")
    assert "not-her-password" not in wrong.text
    await api.documented(wrong, "POST /api/v1/auth/login")


async def test_repeated_failures_lock_the_guessers_address_but_not_the_cashier_at_her_till(
    api: SimulatorStack,
) -> None:
    await add_cashier(api)
    answers = [(await log_in(api, "Sari", "guess-123456", ELSEWHERE)).status_code for _ in range(4)]

    throttled = await log_in(api, "Sari", PASSWORD, ELSEWHERE)  # right, but from the guesser
    at_the_till = await log_in(api, "Sari", PASSWORD, TILL)

    assert answers == [401, 401, 401, 429]
    api.error(throttled, 429, "login_throttled")
    assert int(throttled.headers["Retry-After"]) >= 1
    await api.documented(throttled, "POST /api/v1/auth/login")
    assert at_the_till.status_code == 200, at_the_till.text


async def test_a_deactivated_cashier_is_signed_out_at_once_and_cannot_sign_in_again(
    api: SimulatorStack,
) -> None:
    sari_id = await add_cashier(api)
    sari = await session(api)

    change = await api.client.patch(
        f"/api/v1/staff/{sari_id}", json={"active": False}, headers=api.staff
    )
    now = await api.client.get("/api/v1/orders", headers=sari)
    again = await log_in(api, "Sari", PASSWORD)

    assert change.status_code == 200, change.text
    assert change.json()["active"] is False
    api.error(now, 401, "unauthorized")
    api.error(again, 401, "invalid_credentials")


async def test_the_last_admin_cannot_demote_herself_and_the_answer_says_why(
    api: SimulatorStack,
) -> None:
    ani = await api.client.post(
        "/api/v1/staff",
        json={"name": "Ani", "role": "admin", "password": PASSWORD},
        headers=api.staff,
    )
    ani_headers = await session(api, "Ani")

    demoted = await api.client.patch(
        f"/api/v1/staff/{ani.json()['id']}", json={"role": "cashier"}, headers=ani_headers
    )
    taken = await api.client.post(
        "/api/v1/staff",
        json={"name": "ANI", "role": "cashier", "password": PASSWORD},
        headers=ani_headers,
    )
    weak = await api.client.post(
        "/api/v1/staff",
        json={"name": "Budi", "role": "cashier", "password": "short"},
        headers=ani_headers,
    )

    api.error(demoted, 409, "last_admin")
    api.error(taken, 409, "staff_name_taken")
    api.error(weak, 422, "weak_password")
    await api.documented(demoted, "PATCH /api/v1/staff/{account_id}")


async def test_the_admin_reads_the_audit_log_filtered_and_page_by_page(api: SimulatorStack) -> None:
    sari_id = await add_cashier(api)
    await log_in(api, "Sari", "wrong-password-1")
    await session(api)
    item = await api.add_menu_item(price=10_000)
    await api.client.patch(f"/api/v1/menu-items/{item}", json={"price": 12_000}, headers=api.staff)

    everything = await api.client.get("/api/v1/audit", headers=api.staff)
    failed = await api.client.get(
        "/api/v1/audit", params={"action": "auth.login_failed"}, headers=api.staff
    )
    first = await api.client.get("/api/v1/audit", params={"limit": 2}, headers=api.staff)
    rest = await api.client.get(
        "/api/v1/audit",
        params={"limit": 2, "before_id": first.json()["next_before_id"]},
        headers=api.staff,
    )
    by_sari = await api.client.get(
        "/api/v1/audit", params={"actor": f"account:{sari_id}"}, headers=api.staff
    )

    assert [e["action"] for e in everything.json()["entries"]] == [
        "menu_item.changed",
        "menu_item.added",
        "auth.login",
        "auth.login_failed",
        "staff.added",
        "shift.opened",  # alice's till, opened by the stack
    ]
    await api.documented(everything, "GET /api/v1/audit")
    [entry] = failed.json()["entries"]
    assert entry["after"]["address"]
    assert "wrong-password-1" not in everything.text
    assert [e["id"] for e in first.json()["entries"] + rest.json()["entries"]][:4] == [
        e["id"] for e in everything.json()["entries"]
    ][:4]
    assert [e["action"] for e in by_sari.json()["entries"]] == ["auth.login"]
    changed = everything.json()["entries"][0]
    assert (changed["before"]["price"], changed["after"]["price"]) == (10_000, 12_000)


async def test_a_cashier_may_not_read_the_audit_log_or_manage_staff(api: SimulatorStack) -> None:
    await add_cashier(api)
    sari = await session(api)

    for method, path, body in [
        ("GET", "/api/v1/audit", None),
        ("GET", "/api/v1/staff", None),
        ("POST", "/api/v1/staff", {"name": "Budi", "role": "admin", "password": PASSWORD}),
    ]:
        response = await api.client.request(method, path, json=body, headers=sari)
        api.error(response, 403, "forbidden")


async def test_an_api_token_without_a_role_stays_an_admin(fake_api: FakeStack) -> None:
    # The stacks' API token names no role: today's meaning, an admin.
    listed = await fake_api.client.get("/api/v1/staff", headers=fake_api.staff)

    assert listed.status_code == 200, listed.text
