"""KASIR_STAFF_TOKENS entries are `name:token` (an admin, as before) or `name:token:role`."""

import pytest

from domain.staff import Role
from entrypoints.settings import SettingsError, load_settings

TOKEN = "pos-token-0123456789"


@pytest.mark.parametrize(
    ("entry", "role"),
    [
        (f"pos:{TOKEN}", Role.ADMIN),
        (f"pos:{TOKEN}:admin", Role.ADMIN),
        (f" pos : {TOKEN} : cashier ", Role.CASHIER),
    ],
)
def test_an_api_token_is_an_admin_unless_its_entry_names_a_role(entry: str, role: Role) -> None:
    [token] = load_settings(kasir_staff_tokens=entry).kasir_staff_tokens

    assert (token.name, token.token.get_secret_value(), token.role) == ("pos", TOKEN, role)
    assert TOKEN not in repr(token)


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (f"pos:{TOKEN}:owner", "admin or cashier"),
        (f"pos:{TOKEN}:cashier:extra", "name:token or name:token:role"),
        (TOKEN, "name:token or name:token:role"),
        ("pos:short", "at least 16"),
        (f"pos:{TOKEN},pos:{TOKEN}x", "twice"),
    ],
)
def test_a_malformed_entry_stops_start_up_without_showing_the_token(entry: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says) as refused:
        load_settings(kasir_staff_tokens=entry)

    assert TOKEN not in str(refused.value)


def test_production_runs_without_api_tokens_now_that_staff_have_accounts() -> None:
    settings = load_settings(
        duitku_env="production",
        duitku_merchant_code="D1234",
        duitku_api_key="k" * 32,
        kasir_secret_key="s" * 32,
        public_base_url="https://kasir.example.test",
    )

    assert settings.kasir_staff_tokens == ()
