"""A bearer token is a machine's API token (with its role) or a staff member's session."""

from datetime import UTC, datetime, timedelta

import pytest

from adapters.in_memory.clock import SettableClock
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from application.callers import Role, Staff
from application.staff_access import StaffSession
from application.tokens import hash_token
from application.use_cases.sign_in import IdentifySession
from domain.staff import StaffAccount
from entrypoints.http.auth import StaffAuthenticator
from entrypoints.settings import load_settings

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
SESSION = "session-token-0123456789abcdef"
TOKENS = "pos:pos-token-0123456789:cashier,owner:owner-token-0123456789"


@pytest.fixture
async def authenticator() -> StaffAuthenticator:
    uow = InMemoryUnitOfWorkFactory()
    async with uow() as tx:
        sari = StaffAccount.create(name="Sari", role=Role.CASHIER, password_hash="h", now=NOW)
        await tx.staff.add(sari)
        await tx.staff_sessions.add(
            StaffSession(hash_token(SESSION), sari.id or 0, NOW, NOW + timedelta(hours=1))
        )
        await tx.commit()
    tokens = load_settings(kasir_staff_tokens=TOKENS).kasir_staff_tokens
    return StaffAuthenticator(tokens, IdentifySession(uow, SettableClock(NOW)))


@pytest.mark.parametrize(
    ("header", "staff"),
    [
        ("Bearer pos-token-0123456789", Staff("pos", Role.CASHIER, staff_id="token:pos")),
        ("bearer owner-token-0123456789", Staff("owner", Role.ADMIN, staff_id="token:owner")),
        (f"Bearer {SESSION}", Staff("Sari", Role.CASHIER, staff_id="account:1")),
        ("Bearer pos-token-012345678", None),
        (f"Basic {SESSION}", None),
        ("Bearer ", None),
        (f"Bearer {'x' * 600}", None),
        (None, None),
    ],
)
async def test_a_bearer_token_is_an_api_token_with_its_role_or_an_open_session(
    authenticator: StaffAuthenticator, header: str | None, staff: Staff | None
) -> None:
    assert await authenticator.identify(header) == staff


def test_the_authenticator_never_shows_a_token(authenticator: StaffAuthenticator) -> None:
    assert "token-0123456789" not in repr(authenticator)
    assert repr(authenticator) == "StaffAuthenticator(api_tokens=['pos', 'owner'])"
