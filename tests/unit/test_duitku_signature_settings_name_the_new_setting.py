"""The Duitku signature settings: defaults that survive either scheme, and the removed flag.

DUITKU_CALLBACK_ACCEPT_MD5 used to opt into MD5 callbacks; a deployment that still sets it
must learn at start-up that DUITKU_CALLBACK_SIGNATURES replaced it, rather than run with a
setting that is silently ignored.
"""

import pytest

from entrypoints import gateways
from entrypoints.settings import SettingsError, load_settings


@pytest.mark.parametrize("value", ["true", "false", "1"])
def test_start_up_refuses_the_removed_md5_flag_and_names_its_replacement(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DUITKU_CALLBACK_ACCEPT_MD5", value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "DUITKU_CALLBACK_ACCEPT_MD5" in str(raised.value)
    assert "DUITKU_CALLBACK_SIGNATURES" in str(raised.value)


def test_requests_sign_auto_and_callbacks_verify_both_schemes_by_default() -> None:
    settings = load_settings()
    config = gateways.duitku_config(settings)

    assert (settings.duitku_signature, settings.duitku_callback_signatures) == ("auto", "both")
    assert (config.signature_scheme, config.callback_signatures) == ("auto", "both")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DUITKU_CALLBACK_SIGNATURES", "sha256"), ("DUITKU_SIGNATURE", "both")],
)
def test_an_unknown_scheme_stops_start_up_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError, match=variable):
        load_settings()


@pytest.mark.parametrize(
    ("kasir_signs", "simulator_speaks", "expected"),
    [
        ("md5", "both", {"request_signatures": "both", "callback_signature": "hmac"}),
        ("hmac", "md5", {"request_signatures": "md5", "callback_signature": "md5"}),
        ("auto", "hmac", {"request_signatures": "hmac", "callback_signature": "hmac"}),
    ],
)
def test_the_simulators_signatures_follow_its_own_setting_never_kasirs_request_signing(
    kasir_signs: str, simulator_speaks: str, expected: dict[str, str]
) -> None:
    settings = load_settings(
        duitku_signature=kasir_signs, duitku_simulator_signatures=simulator_speaks
    )

    assert gateways.simulator_signatures(settings) == expected
