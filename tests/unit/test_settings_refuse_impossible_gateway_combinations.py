"""QRIS_GATEWAY, MIDTRANS_* and QRIS_GATEWAY_FALLBACK: two gateways configured at once, and
start-up refusing the combinations no deployment can run, naming the settings and never the
server key."""

from typing import Any

import pytest

from application.gateways import DUITKU
from entrypoints.container import build_container
from entrypoints.midtrans_gateway import MIDTRANS
from entrypoints.settings import SettingsError, load_settings

SECRET = "production-secret-0123456789-abcdefghij"
SANDBOX_KEY = "SB-Mid-server-abcdefghijklmnop"
PRODUCTION_KEY = "Mid-server-abcdefghijklmnop"
REAL = {
    "duitku_merchant_code": "DS12345",
    "duitku_api_key": "duitku-api-key",
    "kasir_staff_tokens": "alice:alice-token-0123456789",
    "kasir_secret_key": SECRET,
}


def settings(**values: Any) -> Any:
    return load_settings(_env_file=None, **values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"qris_gateway": "midtrans", "duitku_env": "sandbox", **REAL}, "needs MIDTRANS_ENV"),
        ({"midtrans_env": "sandbox", "duitku_env": "sandbox", **REAL}, "MIDTRANS_SERVER_KEY"),
        (
            {"midtrans_env": "production", "midtrans_server_key": SANDBOX_KEY},
            "sandbox server key",
        ),
        ({"midtrans_env": "simulator", "midtrans_server_key": PRODUCTION_KEY}, "production"),
        (
            {"midtrans_env": "simulator", "midtrans_base_url": "https://api.midtrans.com"},
            "must not point MIDTRANS_BASE_URL at Midtrans",
        ),
        (
            {"midtrans_env": "sandbox", "midtrans_server_key": SANDBOX_KEY, **REAL},
            "cannot run together",
        ),  # a real Midtrans next to the mounted Duitku simulator (DUITKU_ENV=simulator)
        (
            {
                "duitku_env": "sandbox",
                "midtrans_env": "production",
                "midtrans_server_key": PRODUCTION_KEY,
                "public_base_url": "https://kasir.example",
                **REAL,
            },
            "cannot run together",
        ),
        ({"duitku_env": "fake", "midtrans_env": "simulator"}, "go together"),
        ({"midtrans_server_key": SANDBOX_KEY}, "need MIDTRANS_ENV"),
        ({"qris_gateway_fallback": True}, "needs a second gateway"),
        (
            {
                "duitku_env": "production",
                "midtrans_env": "production",
                "midtrans_server_key": PRODUCTION_KEY,
                **REAL,
            },
            "https://",
        ),
    ],
)
def test_start_up_refuses_a_combination_no_deployment_can_run(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        settings(**values)
    assert SANDBOX_KEY not in str(refused.value)
    assert PRODUCTION_KEY not in str(refused.value)


def test_both_gateways_in_sandbox_are_configured_and_the_chosen_one_issues() -> None:
    chosen = settings(
        duitku_env="sandbox",
        midtrans_env="sandbox",
        midtrans_server_key=SANDBOX_KEY,
        qris_gateway="midtrans",
        qris_gateway_fallback=True,
        **REAL,
    )

    configured = build_container(chosen).payment_gateways()

    assert set(configured.by_name) == {DUITKU, MIDTRANS}
    assert configured.default == MIDTRANS
    assert configured.fallback_after(MIDTRANS) == DUITKU
    assert not chosen.simulated
    assert SANDBOX_KEY not in repr(chosen)


def test_without_midtrans_env_only_duitku_is_configured() -> None:
    configured = build_container(settings()).payment_gateways()

    assert set(configured.by_name) == {DUITKU}
    assert configured.default == DUITKU


def test_choosing_midtrans_in_simulator_mode_configures_its_simulator() -> None:
    chosen = settings(qris_gateway="midtrans")
    container = build_container(chosen)

    assert chosen.midtrans_environment == "simulator"
    assert container.payment_gateways().default == MIDTRANS
    assert container.midtrans_simulator() is not None
    assert chosen.simulated


def test_midtrans_uses_the_one_qris_validity_setting() -> None:
    container = build_container(settings(midtrans_env="simulator", duitku_expiry_minutes=7))

    config = container.midtrans_config()

    assert config is not None
    assert config.expiry_minutes == 7
    assert config.notification_url.endswith("/api/v1/webhooks/midtrans")
