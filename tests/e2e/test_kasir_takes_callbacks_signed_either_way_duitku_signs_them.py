"""Whichever scheme Duitku signs with, a paid QR pays the order, through the production path.

Every official Duitku library signs with MD5 while Duitku's 2026 changelog announces
HMAC-SHA256 (interop.md): kasir signs requests HMAC-first with one MD5 fallback, verifies
callbacks HMAC-first then MD5, and counts which scheme each verified callback used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from prometheus_client import REGISTRY

if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack


def verified_callbacks(scheme: str) -> float:
    value = REGISTRY.get_sample_value("kasir_notification_signatures_total", {"scheme": scheme})
    return value or 0.0


async def pay_and_expect_the_order_paid(api: SimulatorStack) -> list[dict[str, Any]]:
    order = await api.place_order()
    uid = await api.started_qris(order)
    paid = await api.pay(uid)
    assert paid.status_code == 200, paid.text
    deliveries: list[dict[str, Any]] = paid.json()["callback_deliveries"]
    assert deliveries[-1]["status_code"] == 200, deliveries
    assert (await api.order(order.id))["status"] == "paid"
    return deliveries


class TestKasirsOwnRequestSigningNeverBreaksItsSimulator:
    @pytest.fixture(params=["auto", "hmac", "md5"])
    def settings_overrides(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        return {"duitku_signature": request.param}

    async def test_a_paid_qr_pays_the_order_whatever_duitku_signature_is(
        self, api: SimulatorStack
    ) -> None:
        deliveries = await pay_and_expect_the_order_paid(api)

        assert len(deliveries) == 1


class TestAnMd5OnlyDuitku:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"duitku_simulator_signatures": "md5"}

    async def test_kasir_falls_back_to_md5_once_keeps_it_and_counts_md5_callbacks(
        self, api: SimulatorStack, caplog: pytest.LogCaptureFixture
    ) -> None:
        md5_before, hmac_before = verified_callbacks("md5"), verified_callbacks("hmac")

        with caplog.at_level("WARNING", logger="kasir.duitku"):
            await pay_and_expect_the_order_paid(api)
            await pay_and_expect_the_order_paid(api)

        fallbacks = [r for r in caplog.records if "retrying once with MD5" in r.getMessage()]
        assert len(fallbacks) == 1
        assert verified_callbacks("md5") == md5_before + 2
        assert verified_callbacks("hmac") == hmac_before


class TestCallbacksNarrowedToHmac:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"duitku_simulator_signatures": "md5", "duitku_callback_signatures": "hmac"}

    async def test_an_md5_callback_is_refused_and_the_order_waits_for_the_status_check(
        self, api: SimulatorStack
    ) -> None:
        order = await api.place_order()
        uid = await api.started_qris(order)

        paid = await api.pay(uid)

        assert {d["status_code"] for d in paid.json()["callback_deliveries"]} == {403}
        assert (await api.order(order.id))["status"] == "awaiting_payment"
