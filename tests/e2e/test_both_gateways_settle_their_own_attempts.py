"""Duitku and Midtrans configured at once: each attempt is settled by the gateway that issued
it, a QR is cancelled at a gateway that can cancel it, and the fallback issues a QR only when
the first gateway provably created nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.e2e.conftest import simulator_stack
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from entrypoints.background import run_pass

if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack

CASH = "/api/v1/payments/cash"
MIDTRANS_WEBHOOK = "/api/v1/webhooks/midtrans"
BOTH = {"midtrans_env": "simulator"}


async def test_cash_cancels_the_qr_at_a_gateway_that_can_and_leaves_it_payable_where_not(
    gateway_api: SimulatorStack,
) -> None:
    api = gateway_api
    order = await api.place_order()
    uid = await api.started_qris(order)

    cash = await api.client.post(
        CASH, json={"order_id": order.id, "amount_tendered": order.total}, headers=api.staff
    )

    assert cash.status_code == 201, cash.text
    assert (await api.payment(uid))["status"] == "cancelled"
    at_gateway = await api.at_gateway(uid)
    # Midtrans withdrew the QR; Duitku cannot, so its QR waits for its expiry, watched.
    assert at_gateway["state"] == ("failed" if api.gateway == "midtrans" else "pending")
    assert (await api.order(order.id))["status"] == "paid"


async def test_cancelling_an_order_cancels_its_qr_at_a_gateway_that_can(
    gateway_api: SimulatorStack,
) -> None:
    api = gateway_api
    order = await api.place_order()
    uid = await api.started_qris(order)

    cancelled = await api.client.post(
        f"/api/v1/orders/{order.id}/cancel", json={"reason": "the table left"}, headers=api.staff
    )

    assert cancelled.status_code == 200, cancelled.text
    at_gateway = await api.at_gateway(uid)
    assert at_gateway["state"] == ("failed" if api.gateway == "midtrans" else "pending")
    late = await api.pay(uid)
    assert late.status_code == (409 if api.gateway == "midtrans" else 200)


async def test_a_failed_cancel_at_the_gateway_never_undoes_the_cash(
    database_path: Path,
) -> None:
    async with simulator_stack(database_path, {"qris_gateway": "midtrans", **BOTH}) as api:
        order = await api.place_order()
        uid = await api.started_qris(order)
        # The cashier's status check and then the cancel get Midtrans's 500.
        await api.set_faults(fail_next=2)

        cash = await api.client.post(
            CASH, json={"order_id": order.id, "amount_tendered": order.total}, headers=api.staff
        )

        assert cash.status_code == 201, cash.text
        assert (await api.order(order.id))["status"] == "paid"
        assert (await api.payment(uid))["status"] == "cancelled"
        assert (await api.at_gateway(uid))["state"] == "pending"  # still payable, watched


async def test_an_attempt_made_at_midtrans_still_settles_after_switching_to_duitku(
    database_path: Path,
) -> None:
    async with simulator_stack(database_path, {"qris_gateway": "midtrans", **BOTH}) as before:
        order = await before.place_order()
        old_uid = await before.started_qris(order)
        cash_order = await before.place_order()
        cash_uid = await before.started_qris(cash_order)
        lost_order = await before.place_order()
        lost_uid = await before.started_qris(lost_order)
        async with simulator_stack(
            database_path, {"qris_gateway": "duitku", **BOTH}, keep=before
        ) as after:
            # Cash for an order whose QR is at Midtrans: Midtrans is asked before the cash
            # is taken, and cancels the QR after, although Duitku issues new attempts now.
            cash = await after.client.post(
                CASH,
                json={"order_id": cash_order.id, "amount_tendered": cash_order.total},
                headers=after.staff,
            )
            assert cash.status_code == 201, cash.text
            assert before.midtrans is not None
            assert before.midtrans.inspect(cash_uid).status == "cancel"
            # The payer pays the old Midtrans QR after the switch: Midtrans's notification
            # reaches the restarted service, which confirms it with Midtrans.
            paid = await after.client.post(
                f"/simulator/midtrans/control/transactions/{old_uid}/pay"
            )
            assert paid.status_code == 200, paid.text
            assert paid.json()["callback_delivered"] is True
            assert (await after.order(order.id))["status"] == "paid"
            # A payment whose notification was lost: the job asks Midtrans, not Duitku.
            control = f"/simulator/midtrans/control/transactions/{lost_uid}"
            await after.client.post(f"{control}/callbacks/hold")
            await after.client.post(f"{control}/pay")
            await after.client.post(f"{control}/callbacks/drop")
            later = SettableClock(datetime.now(UTC) + timedelta(minutes=13))
            replace(after.container, clock=later)
            await run_pass(after.container, owner="e2e", housekeeping=False)
            assert (await after.order(lost_order.id))["status"] == "paid"
            # New attempts go to Duitku.
            new_order = await after.place_order()
            new_uid = await after.started_qris(new_order)
            assert (await after.at_gateway(new_uid))["state"] == "pending"
            assert after.gateway == "duitku"


def _midtrans_notification(uid: str, amount: int, key: str, **changes: str) -> dict[str, Any]:
    body = {
        "order_id": uid,
        "status_code": "200",
        "gross_amount": f"{amount}.00",
        "transaction_status": "settlement",
        "fraud_status": "accept",
        "payment_type": "qris",
        **changes,
    }
    signed = body["order_id"] + body["status_code"] + body["gross_amount"] + key
    body.setdefault("signature_key", hashlib.sha512(signed.encode()).hexdigest())
    return body


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"signature_key": "a" * 128}, 403, "notification_rejected"),
        ({"gross_amount": "50000.50"}, 400, "invalid_notification"),
        ({"order_id": ""}, 400, "invalid_notification"),
    ],
)
async def test_a_forged_or_malformed_midtrans_notification_is_refused_and_changes_nothing(
    database_path: Path, change: dict[str, str], status: int, code: str
) -> None:
    async with simulator_stack(database_path, {"qris_gateway": "midtrans", **BOTH}) as api:
        order = await api.place_order()
        uid = await api.started_qris(order)
        key = api.container.midtrans_config().server_key  # type: ignore[union-attr]
        before = api.snapshot()

        response = await api.client.post(
            MIDTRANS_WEBHOOK, json=_midtrans_notification(uid, order.total, key, **change)
        )

        api.error(response, status, code)
        await api.documented(response, f"POST {MIDTRANS_WEBHOOK}")
        assert api.snapshot() == before


async def test_a_midtrans_notification_must_be_a_json_object(database_path: Path) -> None:
    async with simulator_stack(database_path, BOTH) as api:
        form = await api.client.post(MIDTRANS_WEBHOOK, data={"order_id": "x"})
        array = await api.client.post(MIDTRANS_WEBHOOK, json=["order_id"])

        api.error(form, 415)
        api.error(array, 400, "invalid_notification")


async def test_a_genuine_notification_is_only_a_trigger_the_status_call_confirms(
    database_path: Path,
) -> None:
    async with simulator_stack(database_path, {"qris_gateway": "midtrans", **BOTH}) as api:
        order = await api.place_order()
        uid = await api.started_qris(order)
        key = api.container.midtrans_config().server_key  # type: ignore[union-attr]

        # Correctly signed "settlement", but Midtrans says the QR is still pending.
        response = await api.client.post(
            MIDTRANS_WEBHOOK, json=_midtrans_notification(uid, order.total, key)
        )

        assert response.status_code in (200, 503), response.text
        assert (await api.order(order.id))["status"] == "awaiting_payment"


async def test_the_fallback_issues_the_qr_when_the_first_gateway_refused_it(
    database_path: Path,
) -> None:
    overrides = {"qris_gateway": "duitku", "qris_gateway_fallback": True, **BOTH}
    async with simulator_stack(database_path, overrides) as api:
        cheap = await api.add_menu_item("Kerupuk", 2_000)  # below Duitku's QRIS minimum
        order = await api.place_order((cheap, 1))

        started = await api.start_qris(order)

        assert started.status_code == 201, started.text
        uid = started.json()["order_uid"]
        assert started.json()["payment_url"].startswith(
            "http://testserver.local/simulator/midtrans"
        )
        payments = (await api.order(order.id))["payments"]
        assert [p["status"] for p in payments] == ["failed", "pending"]  # one open QR only
        paid = await api.client.post(f"/simulator/midtrans/control/transactions/{uid}/pay")
        assert paid.status_code == 200, paid.text
        assert (await api.order(order.id))["status"] == "paid"


@pytest.mark.parametrize("fallback", [True, False])
async def test_no_fallback_on_an_unknown_outcome_or_when_it_is_off(
    database_path: Path, fallback: bool
) -> None:
    overrides = {"qris_gateway": "duitku", "qris_gateway_fallback": fallback, **BOTH}
    async with simulator_stack(database_path, overrides) as api:
        order = await api.place_order()
        await api.set_faults(fail_next=1)  # Duitku answers 500: it may have created it

        started = await api.start_qris(order)

        assert started.status_code == 502, started.text
        listed = await api.client.get("/simulator/midtrans/control/transactions")
        assert listed.json() == []
        payments = (await api.order(order.id))["payments"]
        assert [p["status"] for p in payments] == ["creating"]


async def test_the_midtrans_route_is_404_when_midtrans_is_not_configured(
    api: SimulatorStack,
) -> None:
    before = api.snapshot()

    response = await api.client.post(MIDTRANS_WEBHOOK, json={"order_id": "KSR-1"})

    api.error(response, 404, "not_found")
    await api.documented(response, f"POST {MIDTRANS_WEBHOOK}")
    assert api.snapshot() == before
    assert api.count("notification_inbox") == 0


async def test_a_midtrans_notification_is_reprocessed_at_midtrans_whatever_issues_now(
    database_path: Path,
) -> None:
    async with simulator_stack(database_path, {"qris_gateway": "midtrans", **BOTH}) as before:
        order = await before.place_order()
        uid = await before.started_qris(order)
        assert (await before.pay(uid)).json()["callback_delivered"] is True
        async with simulator_stack(
            database_path, {"qris_gateway": "duitku", **BOTH}, keep=before
        ) as after:
            inbox = await after.client.get("/api/v1/notifications", headers=after.staff)
            [entry] = inbox.json()["items"]
            assert (entry["order_uid"], entry["gateway"]) == (uid, "midtrans")

            again = await after.client.post(
                f"/api/v1/notifications/{entry['id']}/reprocess", headers=after.staff
            )

            assert again.status_code == 200, again.text
            assert again.json()["outcome"] == "already_settled"
            assert (await after.order(order.id))["status"] == "paid"
