"""DuitkuConfig: built-in hosts, overrides, validation, and the shared HTTP client's bounds."""

import dataclasses

import pytest

from adapters.duitku.config import (
    PRODUCTION_BASE_URL,
    SANDBOX_BASE_URL,
    SIMULATOR_BASE_URL,
    DuitkuConfig,
)
from adapters.duitku.gateway import make_http_client

SECRET = "732B39FC61796845775D2C4FB05332AF"


def config(**overrides: object) -> DuitkuConfig:
    values: dict[str, object] = {
        "merchant_code": "DS12345",
        "api_key": SECRET,
        "callback_url": "https://kasir.test/cb",
        "return_url": "https://kasir.test/return",
    }
    values.update(overrides)
    return DuitkuConfig(**values)  # type: ignore[arg-type]


def test_sandbox_and_production_use_duitkus_documented_webapi_hosts() -> None:
    assert SANDBOX_BASE_URL == "https://sandbox.duitku.com/webapi/api/merchant/"
    assert PRODUCTION_BASE_URL == "https://passport.duitku.com/webapi/api/merchant/"
    assert config(environment="sandbox").effective_base_url() == SANDBOX_BASE_URL
    assert config(environment="production").effective_base_url() == PRODUCTION_BASE_URL


def test_base_url_overrides_the_built_in_host_and_always_ends_with_a_slash() -> None:
    overridden = config(environment="simulator", base_url="http://127.0.0.1:9000/webapi")

    assert overridden.effective_base_url() == "http://127.0.0.1:9000/webapi/"
    assert overridden.endpoint("v2/inquiry") == "http://127.0.0.1:9000/webapi/v2/inquiry"


def test_defaults_are_qris_shopeepay_ten_minutes_auto_signing_and_both_callback_schemes() -> None:
    default = config()

    assert default.payment_method == "SP"
    assert default.expiry_minutes == 10
    assert default.signature_scheme == "auto"
    assert default.callback_signatures == "both"
    assert default.environment == "sandbox"


def test_the_simulator_environment_defaults_to_the_locally_mounted_simulator() -> None:
    assert config(environment="simulator").effective_base_url() == SIMULATOR_BASE_URL
    assert SIMULATOR_BASE_URL.startswith("http://127.0.0.1:8000/simulator/duitku/")


@pytest.mark.parametrize(
    "overrides",
    [
        {"merchant_code": ""},
        {"api_key": ""},
        {"environment": "staging"},
        {"signature_scheme": "sha1"},
        {"expiry_minutes": 0},
        {"status_retries": 0},
        {"read_timeout": 0},
        {"max_connections": 0},
    ],
)
def test_invalid_settings_are_refused_at_start_up(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Duitku") as raised:
        config(**overrides)

    assert SECRET not in str(raised.value)


def test_a_key_pasted_into_the_wrong_setting_is_not_echoed_by_validation() -> None:
    with pytest.raises(ValueError, match="environment") as raised:
        config(environment=SECRET)

    assert SECRET not in str(raised.value)


def test_the_api_key_never_appears_in_the_config_repr() -> None:
    settings = config()

    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert "DS12345" in repr(settings)


def test_the_config_is_immutable() -> None:
    settings = config()

    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.api_key = "other"  # type: ignore[misc]


async def test_the_shared_client_has_the_configured_bounded_timeouts() -> None:
    settings = config(connect_timeout=1.5, read_timeout=7.0, write_timeout=3.0, pool_timeout=2.0)

    client = make_http_client(settings)
    try:
        assert client.timeout.connect == 1.5
        assert client.timeout.read == 7.0
        assert client.timeout.write == 3.0
        assert client.timeout.pool == 2.0
        assert client.follow_redirects is False
    finally:
        await client.aclose()
