"""Contract of the staff repositories on every backend (memory, SQLite, PostgreSQL): accounts,
sessions and failed-login counts."""

from datetime import UTC, datetime, timedelta

import pytest

from application.errors import ConcurrentUpdate
from application.ports import UnitOfWorkFactory
from application.staff_access import StaffSession, ThrottleKey
from domain.login_throttle import FailedLogins, ThrottlePolicy
from domain.staff import Role, StaffAccount

NOW = datetime(2026, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)
HOUR = timedelta(hours=1)
KEY = ThrottleKey("sari", "203.0.113.9")


def account(name: str = "Sari", role: Role = Role.CASHIER) -> StaffAccount:
    return StaffAccount.create(name=name, role=role, password_hash="$argon2id$fake", now=NOW)


async def add(uow_factory: UnitOfWorkFactory, *accounts: StaffAccount) -> list[int]:
    async with uow_factory() as uow:
        for new in accounts:
            await uow.staff.add(new)
        await uow.commit()
    return [a.id or 0 for a in accounts]


async def test_an_account_reads_back_as_stored_by_id_and_by_name_in_any_case(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [sari_id] = await add(uow_factory, account())

    async with uow_factory(read_only=True) as uow:
        by_id = await uow.staff.get(sari_id)
        by_name = await uow.staff.find_by_name("  sARI ")
        nobody = await uow.staff.find_by_name("Budi")

    assert by_id == by_name
    assert by_id is not None
    assert (by_id.name, by_id.role, by_id.active, by_id.created_at) == (
        "Sari",
        Role.CASHIER,
        True,
        NOW,
    )
    assert by_id.password_hash == "$argon2id$fake"
    assert nobody is None


async def test_two_accounts_never_share_a_name_whatever_its_case(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await add(uow_factory, account("Sari"))

    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.staff.add(account("SARI"))
        await uow.staff.add(account("Budi"))  # the transaction stays usable
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        assert [a.name for a in await uow.staff.list()] == ["Sari", "Budi"]


async def test_an_account_update_applies_only_to_the_version_that_was_read(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [sari_id] = await add(uow_factory, account())
    async with uow_factory(read_only=True) as uow:
        first = await uow.staff.get(sari_id)
        second = await uow.staff.get(sari_id)
    assert first is not None
    assert second is not None

    async with uow_factory() as uow:
        first.change(now=NOW + HOUR, role=Role.ADMIN, other_active_admins=0)
        await uow.staff.update(first)
        await uow.commit()
    async with uow_factory() as uow:
        second.change(now=NOW + HOUR, active=False, other_active_admins=0)
        with pytest.raises(ConcurrentUpdate):
            await uow.staff.update(second)

    async with uow_factory(read_only=True) as uow:
        stored = await uow.staff.get(sari_id)
    assert stored is not None
    assert (stored.role, stored.active, stored.updated_at) == (Role.ADMIN, True, NOW + HOUR)


async def test_only_active_admins_are_counted_as_admins(uow_factory: UnitOfWorkFactory) -> None:
    retired = account("Retired", Role.ADMIN)
    retired.active = False
    ids = await add(uow_factory, account("Ani", Role.ADMIN), account("Sari"), retired)

    async with uow_factory() as uow:
        assert await uow.staff.lock_active_admins() == [ids[0]]


async def test_a_session_is_found_by_its_token_hash_until_it_expires(
    uow_factory: UnitOfWorkFactory,
) -> None:
    [sari_id] = await add(uow_factory, account())
    session = StaffSession("a" * 64, sari_id, NOW, NOW + HOUR)
    async with uow_factory() as uow:
        await uow.staff_sessions.add(session)
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        found = await uow.staff_sessions.find("a" * 64, now=NOW + HOUR / 2)
        expired = await uow.staff_sessions.find("a" * 64, now=NOW + HOUR)
        unknown = await uow.staff_sessions.find("b" * 64, now=NOW)

    assert found is not None
    assert found[0] == session
    assert found[1].name == "Sari"
    assert expired is None
    assert unknown is None


@pytest.mark.parametrize("how", ["end", "end_all", "purge_expired"])
async def test_a_session_ends_by_logout_by_its_account_or_by_expiry(
    uow_factory: UnitOfWorkFactory, how: str
) -> None:
    sari_id, budi_id = await add(uow_factory, account("Sari"), account("Budi"))
    sari = StaffSession("a" * 64, sari_id, NOW, NOW + HOUR)
    budi = StaffSession("b" * 64, budi_id, NOW, NOW + 2 * HOUR)
    async with uow_factory() as uow:
        await uow.staff_sessions.add(sari)
        await uow.staff_sessions.add(budi)
        await uow.commit()

    async with uow_factory() as uow:
        if how == "end":
            assert await uow.staff_sessions.end(sari.token_hash) == sari
            assert await uow.staff_sessions.end(sari.token_hash) is None
        elif how == "end_all":
            assert await uow.staff_sessions.end_all(sari_id) == 1
        else:
            assert await uow.staff_sessions.purge_expired(now=NOW + HOUR, limit=10) == 1
        await uow.commit()

    async with uow_factory(read_only=True) as uow:
        assert await uow.staff_sessions.find(sari.token_hash, now=NOW) is None
        assert await uow.staff_sessions.find(budi.token_hash, now=NOW) is not None


async def test_failed_logins_are_counted_per_name_and_address_and_forgotten(
    uow_factory: UnitOfWorkFactory,
) -> None:
    policy = ThrottlePolicy()
    other = ThrottleKey("sari", "198.51.100.1")
    async with uow_factory() as uow:
        fresh = await uow.login_throttle.lock(KEY, now=NOW)
        counted = fresh.counted(NOW, policy)
        await uow.login_throttle.put(KEY, counted, forget_at=NOW + HOUR)
        await uow.commit()

    async with uow_factory() as uow:
        assert fresh == FailedLogins.none(NOW)
        assert await uow.login_throttle.lock(KEY, now=NOW) == counted
        assert (await uow.login_throttle.lock(other, now=NOW)).failures == 0
        await uow.login_throttle.forget(KEY)
        await uow.commit()

    async with uow_factory() as uow:
        assert (await uow.login_throttle.lock(KEY, now=NOW)).failures == 0


async def test_failed_logins_are_purged_after_their_time_in_bounded_batches(
    uow_factory: UnitOfWorkFactory,
) -> None:
    keys = [ThrottleKey(f"name{i}", "203.0.113.9") for i in range(3)]
    async with uow_factory() as uow:
        for i, key in enumerate(keys):
            record = (await uow.login_throttle.lock(key, now=NOW)).counted(NOW, ThrottlePolicy())
            await uow.login_throttle.put(key, record, forget_at=NOW + i * HOUR)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.login_throttle.purge(now=NOW + HOUR, limit=1) == 1
        assert await uow.login_throttle.purge(now=NOW + HOUR, limit=10) == 1
        await uow.commit()

    async with uow_factory() as uow:
        remaining = [(await uow.login_throttle.lock(k, now=NOW)).failures for k in keys]
    assert remaining == [0, 0, 1]
