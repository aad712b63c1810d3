"""KASIR_SECRET_KEY: one secret shared by every process, required outside simulator mode
(start-up refuses to run without it, saying so), generated for the run in simulator mode, and
never shown in a repr or an error."""

import pytest

from entrypoints.settings import (
    SettingsError,
    load_settings,
    secret_key_for_run,
    with_run_secret_key,
)

SECRET = "production-secret-0123456789-abcdefghij"
SANDBOX = {
    "duitku_env": "sandbox",
    "duitku_merchant_code": "DS12345",
    "duitku_api_key": "sandbox-api-key",
    "kasir_staff_tokens": "alice:alice-token-0123456789",
}


def test_outside_simulator_mode_start_up_refuses_to_run_without_it() -> None:
    with pytest.raises(SettingsError, match="needs KASIR_SECRET_KEY"):
        load_settings(_env_file=None, **SANDBOX)


def test_a_short_secret_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingsError, match="at least 32 characters") as refused:
        load_settings(_env_file=None, **SANDBOX, kasir_secret_key="short-secret")
    assert "short-secret" not in str(refused.value)


def test_the_configured_secret_is_used_and_never_shown() -> None:
    settings = load_settings(_env_file=None, **SANDBOX, kasir_secret_key=SECRET)

    assert secret_key_for_run(settings) == SECRET
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())


def test_simulator_mode_generates_a_secret_for_the_run() -> None:
    settings = load_settings(_env_file=None, duitku_env="simulator")

    first, second = secret_key_for_run(settings), secret_key_for_run(settings)

    assert len(first) >= 32
    assert first != second  # each process (container) makes its own unless one is set


def test_an_empty_value_as_in_env_example_means_unset() -> None:
    assert load_settings(_env_file=None, kasir_secret_key="").kasir_secret_key is None
    with pytest.raises(SettingsError, match="needs KASIR_SECRET_KEY"):
        load_settings(_env_file=None, **SANDBOX, kasir_secret_key="  ")


def test_kasir_serve_gives_every_worker_of_a_simulated_run_the_same_secret() -> None:
    settings = with_run_secret_key(load_settings(_env_file=None, duitku_env="simulator"))

    assert settings.kasir_secret_key is not None
    assert secret_key_for_run(settings) == secret_key_for_run(settings)
    configured = load_settings(_env_file=None, **SANDBOX, kasir_secret_key=SECRET)
    assert with_run_secret_key(configured) is configured
