"""The webhook feed's settings: start-up refuses a fixed subscriber without its secret, a
secret not in the whsec_ form, an unknown event type or a malformed network, and never shows
the secret; simulator mode's fixed subscriber is the mounted receiver, with one secret per run."""

import pytest

from entrypoints.container import SIMULATOR_RECEIVER_PATH, receiver_secret, setting_subscriber
from entrypoints.settings import SettingsError, load_settings

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RUN_SECRET = "one-secret-for-this-run-0123456789-abcdef"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"webhook_url": "https://hooks.example/"}, "WEBHOOK_URL needs WEBHOOK_SECRET"),
        ({"webhook_secret": "not-a-whsec-secret"}, "WEBHOOK_SECRET must be whsec_"),
        ({"webhook_secret": "whsec_c2hvcnQ="}, "WEBHOOK_SECRET must be whsec_"),
        ({"webhook_event_types": "order.paid,order.eaten"}, "unknown types"),
        ({"webhook_allowed_private_networks": "192.168.1.0/33"}, "CIDR"),
    ],
)
def test_start_up_refuses_webhook_settings_that_cannot_work(
    settings: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        load_settings(_env_file=None, **settings)
    assert "not-a-whsec-secret" not in str(refused.value)


def test_the_fixed_subscriber_comes_from_the_settings_and_its_secret_is_never_shown() -> None:
    settings = load_settings(
        _env_file=None,
        webhook_url="https://hooks.example/kasir",
        webhook_secret=WHSEC,
        webhook_event_types="order.paid, order.cancelled",
        webhook_allowed_private_networks="192.168.1.0/24, 10.0.0.7",
    )
    assert setting_subscriber(settings, RUN_SECRET) == ("https://hooks.example/kasir", WHSEC)
    assert settings.webhook_event_types == ("order.paid", "order.cancelled")
    assert WHSEC not in repr(settings)


def test_simulator_mode_delivers_to_its_mounted_receiver_with_one_secret_per_run() -> None:
    settings = load_settings(_env_file=None, duitku_env="simulator", duitku_base_url=None)
    url, secret = setting_subscriber(settings, RUN_SECRET) or ("", "")
    assert url == settings.base_url + SIMULATOR_RECEIVER_PATH
    assert secret == receiver_secret(RUN_SECRET)
    assert secret.startswith("whsec_")
    assert receiver_secret("another-run-secret-0123456789-abcdefgh") != secret


def test_outside_simulator_mode_there_is_no_fixed_subscriber_unless_set() -> None:
    settings = load_settings(_env_file=None, duitku_env="fake")
    assert setting_subscriber(settings, RUN_SECRET) is None
