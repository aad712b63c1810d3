"""An abandoned QR stays payable at Duitku for its whole validity (Duitku cannot cancel it), so
the validity is a setting, `DUITKU_EXPIRY_MINUTES` (Duitku's `expiryPeriod`), 10 minutes by
default, sent with every QRIS request and shown to the customer as `expires_at`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from entrypoints.settings import load_settings

if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"duitku_expiry_minutes": 7}


def test_a_qr_is_valid_for_ten_minutes_by_default() -> None:
    assert load_settings(_env_file=None).duitku_expiry_minutes == 10


async def test_the_gateway_is_asked_for_the_configured_validity(api: SimulatorStack) -> None:
    order = await api.place_order()
    before = datetime.now().astimezone()

    started = await api.start_qris(order)

    assert started.status_code == 201, started.text
    expires_at = datetime.fromisoformat(started.json()["expires_at"])
    at_duitku = api.simulator.inspect(started.json()["order_uid"]).expires_at
    assert timedelta(minutes=7) <= expires_at - before < timedelta(minutes=7, seconds=30)
    assert abs(at_duitku - expires_at) < timedelta(seconds=30)
