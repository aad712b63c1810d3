"""Staff sign in with a name and password, on in-memory fakes and a cheap real Argon2id.

The rules: one answer for an unknown name, a wrong password and a deactivated account, each
costing one password check; failures slowed, then locked, per name and address together; a
session ends at logout, at expiry, and at once on deactivation or a password reset; the last
active admin stays; the audit log records who signed in or failed from where, never a password.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from adapters.crypto.passwords import Argon2PasswordHasher
from adapters.in_memory.clock import SettableClock
from adapters.in_memory.unit_of_work import InMemoryUnitOfWorkFactory
from adapters.system import SecureSecrets
from application.audit import AuditQuery
from application.callers import Role, Staff, System
from application.errors import Forbidden, InvalidCredentials, LoginThrottled, StaffNameTaken
from application.use_cases.manage_staff import AddStaff, ChangeStaff, ListStaff
from application.use_cases.sign_in import WRONG_CREDENTIALS, IdentifySession, LogIn, LogOut
from domain.audit import AuditRecord
from domain.login_throttle import ThrottlePolicy
from domain.staff import LastAdmin, StaffAccount, WeakPassword

PASSWORD = "correct horse battery"
HERE = "192.0.2.10"
ELSEWHERE = "198.51.100.77"
LIFETIME = timedelta(hours=12)
POLICY = ThrottlePolicy(lock_after=6, lockout=timedelta(minutes=15))


class CountingHasher(Argon2PasswordHasher):
    """The real hasher, cheap, counting the checks it makes (and against what)."""

    def __init__(self, time_cost: int = 1) -> None:
        super().__init__(time_cost=time_cost, memory_cost_kib=64, parallelism=1)
        self.checked: list[str | None] = []

    async def verify(self, password: str, password_hash: str | None) -> bool:
        self.checked.append(password_hash)
        return await super().verify(password, password_hash)


@dataclass
class Desk:
    """The sign-in use cases over one in-memory store."""

    uow: InMemoryUnitOfWorkFactory = field(default_factory=InMemoryUnitOfWorkFactory)
    clock: SettableClock = field(default_factory=SettableClock)
    hasher: CountingHasher = field(default_factory=CountingHasher)

    @property
    def log_in(self) -> LogIn:
        return LogIn(self.uow, self.hasher, self.clock, SecureSecrets(), POLICY, LIFETIME)

    @property
    def identify(self) -> IdentifySession:
        return IdentifySession(self.uow, self.clock)

    @property
    def change(self) -> ChangeStaff:
        return ChangeStaff(self.uow, self.hasher, self.clock)

    async def add(self, name: str, role: Role = Role.CASHIER) -> StaffAccount:
        add = AddStaff(self.uow, self.hasher, self.clock)
        return await add.execute(caller=System("cli"), name=name, role=role, password=PASSWORD)

    async def sign_in(self, name: str, password: str = PASSWORD, address: str = HERE) -> str:
        return (await self.log_in.execute(name=name, password=password, address=address)).token

    async def audit(self, action: str) -> list[AuditRecord]:
        async with self.uow(read_only=True) as uow:
            return [e.record for e in await uow.audit.list(AuditQuery(action=action))]


@pytest.fixture
async def desk() -> Desk:
    desk = Desk()
    await desk.add("Ani", Role.ADMIN)
    await desk.add("Sari")
    return desk


ADMIN = Staff("Ani", Role.ADMIN, staff_id="account:1")


async def test_a_signed_in_cashier_is_known_by_her_session_with_her_role_and_account(
    desk: Desk,
) -> None:
    signed_in = await desk.log_in.execute(name="sARI", password=PASSWORD, address=HERE)

    assert await desk.identify.execute(signed_in.token) == Staff(
        "Sari", Role.CASHIER, staff_id="account:2"
    )
    assert signed_in.expires_at == desk.clock.now() + LIFETIME
    assert signed_in.token not in repr(signed_in)
    assert await desk.identify.execute(signed_in.token + "x") is None


@pytest.mark.parametrize(
    ("name", "password", "deactivate"),
    [("Budi", PASSWORD, False), ("Sari", "wrong password!", False), ("Sari", PASSWORD, True)],
    ids=["unknown name", "wrong password", "deactivated account"],
)
async def test_an_unknown_name_a_wrong_password_and_a_deactivated_account_get_one_answer(
    desk: Desk, name: str, password: str, deactivate: bool
) -> None:
    if deactivate:
        await desk.change.execute(2, caller=ADMIN, active=False)
    desk.hasher.checked.clear()

    with pytest.raises(InvalidCredentials) as refused:
        await desk.sign_in(name, password)

    assert (refused.value.code, refused.value.message) == ("invalid_credentials", WRONG_CREDENTIALS)
    assert len(desk.hasher.checked) == 1  # an unknown name costs one check too (a dummy hash)


async def test_failed_sign_ins_are_slowed_then_locked_for_that_name_from_that_address_only(
    desk: Desk,
) -> None:
    for _ in range(3):  # three failures are answered at once
        with pytest.raises(InvalidCredentials):
            await desk.sign_in("Sari", "wrong password!")
    waits = []
    for _ in range(3):  # then each one makes the next attempt wait, doubling
        with pytest.raises(LoginThrottled) as slowed:
            await desk.sign_in("Sari")
        waits.append(slowed.value.retry_after)
        desk.clock.advance(timedelta(seconds=slowed.value.retry_after))
        with pytest.raises(InvalidCredentials):
            await desk.sign_in("Sari", "wrong password!")

    with pytest.raises(LoginThrottled) as locked:  # the 6th failure locked the pair
        await desk.sign_in("Sari")  # even with the right password

    assert waits == [1, 2, 4]
    assert locked.value.retry_after == 15 * 60
    assert await desk.sign_in("Sari", address=ELSEWHERE)  # her till is not locked out
    assert await desk.sign_in("Ani")  # nor another name from here


async def test_a_locked_pair_is_not_checked_at_all_and_the_lock_ends_on_time(desk: Desk) -> None:
    for _ in range(POLICY.lock_after):
        with pytest.raises(InvalidCredentials):
            await desk.sign_in("Sari", "wrong password!")
        desk.clock.advance(timedelta(seconds=60))
    desk.hasher.checked.clear()

    with pytest.raises(LoginThrottled) as locked:
        await desk.sign_in("Sari")
    desk.clock.advance(timedelta(seconds=locked.value.retry_after))

    assert desk.hasher.checked == []
    assert await desk.sign_in("Sari")


async def test_a_good_sign_in_forgets_the_failures_before_it(desk: Desk) -> None:
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await desk.sign_in("Sari", "wrong password!")
    desk.clock.advance(timedelta(seconds=1))
    await desk.sign_in("Sari")

    for _ in range(3):  # three free failures again
        with pytest.raises(InvalidCredentials):
            await desk.sign_in("Sari", "wrong password!")


async def test_unknown_names_are_throttled_exactly_like_real_ones(desk: Desk) -> None:
    answers = []
    for name in ("Sari", "Nobody"):
        for _ in range(4):
            try:
                await desk.sign_in(name, "wrong password!")
                answers.append((name, "signed in"))
            except (InvalidCredentials, LoginThrottled) as error:
                answers.append((name, error.code))

    assert [a for n, a in answers if n == "Sari"] == [a for n, a in answers if n == "Nobody"]


@pytest.mark.parametrize(
    "change",
    [{"active": False}, {"password": "a new long password"}],
    ids=["deactivated", "password reset"],
)
async def test_a_deactivation_or_password_reset_ends_the_accounts_sessions_at_once(
    desk: Desk, change: dict[str, object]
) -> None:
    token = await desk.sign_in("Sari")

    await desk.change.execute(2, caller=ADMIN, **change)  # type: ignore[arg-type]

    assert await desk.identify.execute(token) is None


async def test_a_session_ends_at_logout_and_at_its_expiry(desk: Desk) -> None:
    first, second = await desk.sign_in("Sari"), await desk.sign_in("Sari")
    sari = await desk.identify.execute(first)
    assert sari is not None

    assert await LogOut(desk.uow, desk.clock).execute(caller=sari, token=first)
    desk.clock.advance(LIFETIME)

    assert await desk.identify.execute(first) is None
    assert await desk.identify.execute(second) is None
    assert [r.subject for r in await desk.audit("auth.logout")] == ["staff:account:2"]


async def test_a_role_change_applies_to_the_next_request_of_an_open_session(desk: Desk) -> None:
    token = await desk.sign_in("Sari")

    await desk.change.execute(2, caller=ADMIN, role=Role.ADMIN)

    identified = await desk.identify.execute(token)
    assert identified is not None
    assert identified.role is Role.ADMIN


@pytest.mark.parametrize("change", [{"active": False}, {"role": Role.CASHIER}])
async def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(
    desk: Desk, change: dict[str, object]
) -> None:
    with pytest.raises(LastAdmin):
        await desk.change.execute(1, caller=ADMIN, **change)  # type: ignore[arg-type]

    await desk.change.execute(2, caller=ADMIN, role=Role.ADMIN)
    await desk.change.execute(1, caller=ADMIN, **change)  # type: ignore[arg-type]  # now allowed


async def test_only_admins_manage_staff_and_names_are_unique_whatever_their_case(
    desk: Desk,
) -> None:
    cashier = Staff("Sari", Role.CASHIER, staff_id="account:2")
    add = AddStaff(desk.uow, desk.hasher, desk.clock)

    with pytest.raises(Forbidden):
        await ListStaff(desk.uow).execute(caller=cashier)
    with pytest.raises(Forbidden):
        await desk.change.execute(2, caller=cashier, role=Role.ADMIN)
    with pytest.raises(StaffNameTaken):
        await add.execute(caller=ADMIN, name="SARI", role=Role.CASHIER, password=PASSWORD)
    with pytest.raises(WeakPassword):
        await add.execute(caller=ADMIN, name="Budi", role=Role.CASHIER, password="short")

    assert [a.name for a in await ListStaff(desk.uow).execute(caller=ADMIN)] == ["Ani", "Sari"]


async def test_sign_ins_and_staff_changes_are_audited_without_any_password_or_hash(
    desk: Desk,
) -> None:
    with pytest.raises(InvalidCredentials):
        await desk.sign_in("Sari", "my-secret-guess")
    await desk.sign_in("Sari")
    await desk.change.execute(2, caller=ADMIN, role=Role.ADMIN, password="a new long password")

    [failed] = await desk.audit("auth.login_failed")
    [signed_in] = await desk.audit("auth.login")
    [changed] = await desk.audit("staff.changed")
    everything = repr(await desk.audit("auth.login_failed")) + repr(
        [failed, signed_in, changed, *await desk.audit("staff.added")]
    )

    assert (failed.subject, failed.after) == ("staff:account:2", {"address": HERE, "name": "Sari"})
    assert (signed_in.actor_id, signed_in.after and signed_in.after["address"]) == (
        "account:2",
        HERE,
    )
    assert changed.before == {"name": "Sari", "role": "cashier", "active": True}
    assert changed.after == {
        "name": "Sari",
        "role": "admin",
        "active": True,
        "password_reset": True,
    }
    for secret in ("my-secret-guess", PASSWORD, "a new long password", "$argon2"):
        assert secret not in everything


async def test_a_hash_made_with_weaker_parameters_is_upgraded_at_the_next_good_sign_in(
    desk: Desk,
) -> None:
    stronger = Desk(uow=desk.uow, clock=desk.clock, hasher=CountingHasher(time_cost=2))

    await stronger.sign_in("Sari")

    async with desk.uow(read_only=True) as uow:
        sari = await uow.staff.get(2)
    assert sari is not None
    assert "t=2" in sari.password_hash
    assert await desk.sign_in("Sari")  # still her password
