"""The customer's payment page (`/pay/{order_id}?sig=...`): opened by the signed link the API
hands to the order's holder, never by the access token; it shows the order, the open
attempt's QR only, carries its state in `<body data-status>`, and asks for a new QR only from
its own origin. Its polling answer (`/pay/{id}/status`) is the same view as JSON."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.in_memory.clock import SettableClock
from entrypoints.http.security_headers import PAGE_CSP

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack, PlacedOrder, SimulatorStack


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _sig_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["sig"][0]


def _status_of(html: str) -> str:
    found = re.search(r'<body data-status="([a-z_]+)"', html)
    assert found is not None, html[:400]
    return found.group(1)


async def _page_link(api: SimulatorStack | FakeStack, order: PlacedOrder) -> str:
    response = await api.client.get(f"/api/v1/orders/{order.id}", headers=order.headers)
    assert response.status_code == 200, response.text
    link: str = response.json()["payment_page_url"]
    return link


async def test_the_api_hands_the_signed_link_to_the_order_holder_and_the_qris_answer(
    api: SimulatorStack,
) -> None:
    order = await api.place_order()
    placed_link = await _page_link(api, order)
    qris = await api.start_qris(order)

    assert qris.status_code == 201
    assert qris.json()["payment_page_url"].startswith(
        f"http://testserver.local/pay/{order.id}?sig="
    )
    assert placed_link.startswith(f"http://testserver.local/pay/{order.id}?sig=")
    assert order.token not in placed_link
    await api.documented(qris, "POST /api/v1/payments/qris")


async def test_the_page_shows_the_order_total_and_the_open_qr(api: SimulatorStack) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)

    page = await api.client.get(_path_of(await _page_link(api, order)))

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == PAGE_CSP
    assert page.headers["cache-control"] == "no-store"
    assert _status_of(page.text) == "awaiting_payment"
    assert f'src="/api/v1/payments/{uid}/qris.svg"' in page.text
    assert "Rp 50.000" in page.text  # two of the 25.000 item
    assert "<script>" not in page.text
    assert "style=" not in page.text
    assert "stream_token=" in page.text
    assert order.token not in page.text


async def test_a_paid_order_shows_paid_with_its_reference_and_no_qr(api: SimulatorStack) -> None:
    order = await api.place_order()
    uid = await api.started_qris(order)
    link = await _page_link(api, order)
    assert (await api.pay(uid)).status_code == 200

    page = await api.client.get(_path_of(link))
    status = await api.client.get(f"/pay/{order.id}/status?sig={_sig_of(link)}")

    assert _status_of(page.text) == "paid"
    assert "qris.svg" not in page.text
    assert "qris.png" not in page.text
    assert f'<code id="reference">{uid}</code>' in page.text
    assert status.status_code == 200
    assert status.json() | {"paid_at": None} == {
        "order_id": order.id,
        "status": "paid",
        "total": order.total,
        "qr": None,
        "preparing": False,
        "may_request_qr": False,
        "paid_at": None,
        "reference": uid,
    }
    await api.documented(status, "GET /pay/{order_id}/status")


@pytest.mark.parametrize(
    ("alter", "status", "code"),
    [
        (lambda sig, order_id: (order_id + 1, sig), 403, "payment_link_invalid"),
        (lambda sig, order_id: (order_id, sig[:-2]), 403, "payment_link_invalid"),
        (lambda sig, order_id: (order_id, ""), 403, "payment_link_invalid"),
    ],
    ids=["another order", "tampered", "missing"],
)
async def test_a_bad_signature_is_refused_with_a_clear_page(
    api: SimulatorStack, alter: Any, status: int, code: str
) -> None:
    first = await api.place_order()
    await api.place_order()
    order_id, sig = alter(_sig_of(await _page_link(api, first)), first.id)

    page = await api.client.get(f"/pay/{order_id}?sig={sig}")
    polled = await api.client.get(f"/pay/{order_id}/status?sig={sig}")

    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert f'data-code="{code}"' in page.text
    api.error(polled, status, code)


async def test_the_access_token_does_not_open_the_page(api: SimulatorStack) -> None:
    order = await api.place_order()

    page = await api.client.get(f"/pay/{order.id}?sig={order.token}", headers=order.headers)

    assert page.status_code == 403


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"payment_link_hours": 1}


async def test_an_expired_link_says_so_with_410(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    link = await _page_link(fake_api, order)
    clock = fake_api.container.clock()
    assert isinstance(clock, SettableClock)
    clock.advance(timedelta(hours=1, seconds=1))

    page = await fake_api.client.get(_path_of(link))
    polled = await fake_api.client.get(f"/pay/{order.id}/status?sig={_sig_of(link)}")

    assert page.status_code == 410
    assert 'data-code="payment_link_expired"' in page.text
    fake_api.error(polled, 410, "payment_link_expired")


async def test_an_expired_qr_is_replaced_from_the_page_and_the_old_one_is_never_shown(
    fake_api: FakeStack,
) -> None:
    order = await fake_api.place_order()
    response = await fake_api.start_qris(order)
    old_uid = response.json()["order_uid"]
    link = await _page_link(fake_api, order)
    clock = fake_api.container.clock()
    assert isinstance(clock, SettableClock)
    clock.advance(timedelta(minutes=11))  # past the QR's expiry, not yet the link's
    fake_api.gateway.fail(old_uid)  # the gateway let it expire too

    expired = await fake_api.client.get(_path_of(link))
    assert _status_of(expired.text) == "expired"
    assert old_uid not in expired.text
    asked = await fake_api.client.post(
        f"/pay/{order.id}/qr?sig={_sig_of(link)}",
        data={"email": "budi@example.test", "lang": "en"},
        headers={"Origin": "http://testserver.local", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    page = await fake_api.client.get(asked.headers["location"])

    assert _status_of(page.text) == "awaiting_payment"
    assert old_uid not in page.text
    assert re.search(r'src="/api/v1/payments/[^"/]+/qris.svg"', page.text)
    assert '<html lang="en">' in page.text


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["another origin", "cross-site fetch"],
)
async def test_a_new_qr_is_never_asked_from_another_site(
    api: SimulatorStack, headers: dict[str, str]
) -> None:
    order = await api.place_order()
    link = await _page_link(api, order)

    asked = await api.client.post(
        f"/pay/{order.id}/qr?sig={_sig_of(link)}",
        data={"email": "budi@example.test"},
        headers=headers,
        follow_redirects=False,
    )

    api.error(asked, 403, "forbidden")
    assert (await api.order(order.id))["payments"] == []


@pytest.mark.parametrize(
    ("accept_language", "lang", "expected"),
    [(None, None, "id"), ("en-US,en;q=0.9", None, "en"), ("en-US", "id", "id"), ("fr", "en", "en")],
)
async def test_the_page_speaks_indonesian_unless_english_is_asked_for(
    api: SimulatorStack, accept_language: str | None, lang: str | None, expected: str
) -> None:
    order = await api.place_order()
    path = _path_of(await _page_link(api, order)) + (f"&lang={lang}" if lang else "")

    page = await api.client.get(
        path, headers={"Accept-Language": accept_language} if accept_language else {}
    )

    assert f'<html lang="{expected}">' in page.text
    assert ("Waiting for payment" in page.text) is (expected == "en")


async def test_an_order_without_a_qr_gets_its_first_one_from_the_page(api: SimulatorStack) -> None:
    order = await api.place_order()
    link = await _page_link(api, order)
    before = await api.client.get(_path_of(link))

    without_email = await api.client.post(
        f"/pay/{order.id}/qr?sig={_sig_of(link)}",
        data={"lang": "id"},
        headers={"Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    asked = await api.client.post(
        f"/pay/{order.id}/qr?sig={_sig_of(link)}",
        data={"email": "budi@example.test"},
        headers={"Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    page = await api.client.get(asked.headers["location"])
    [payment] = (await api.order(order.id))["payments"]

    assert _status_of(before.text) == "awaiting_payment"
    assert not re.search(r'id="first-qr"\s*hidden', before.text)  # its form is shown
    assert without_email.headers["location"].endswith("&notice=qr_failed")  # none made
    assert asked.status_code == 303
    assert f'src="/api/v1/payments/{payment["order_uid"]}/qris.svg"' in page.text
