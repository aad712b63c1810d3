"""Racing sign-ins and racing staff changes on SQLite and PostgreSQL, several engines standing
for several worker processes: the failure counter loses no attempt and no burst of guesses gets
past the lock, and two admins demoting each other at once leave one admin."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.crypto.passwords import Argon2PasswordHasher
from adapters.in_memory.clock import SettableClock
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.tables_staff import login_failures
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.system import SecureSecrets
from application.callers import Role, Staff, System
from application.errors import InvalidCredentials, LoginThrottled
from application.use_cases.manage_staff import AddStaff, ChangeStaff
from application.use_cases.sign_in import LogIn
from domain.login_throttle import FREE_FAILURES, ThrottlePolicy
from domain.staff import LastAdmin

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
PROCESSES = 3
PASSWORD = "the-right-password"
HASHER = Argon2PasswordHasher(time_cost=1, memory_cost_kib=64, parallelism=1)


@pytest.fixture
async def factories(sql_engine: AsyncEngine) -> AsyncIterator[list[SqlAlchemyUnitOfWorkFactory]]:
    url = sql_engine.url.render_as_string(hide_password=False)
    engines = [sql_engine] + [create_engine_for(url) for _ in range(PROCESSES - 1)]
    yield [SqlAlchemyUnitOfWorkFactory(engine) for engine in engines]
    for engine in engines[1:]:
        await engine.dispose()


async def add(factory: SqlAlchemyUnitOfWorkFactory, name: str, role: Role) -> int:
    account = await AddStaff(factory, HASHER, SettableClock(NOW)).execute(
        caller=System("test"), name=name, role=role, password=PASSWORD
    )
    return account.id or 0


def log_in(factory: SqlAlchemyUnitOfWorkFactory, lock_after: int) -> LogIn:
    policy = ThrottlePolicy(lock_after=lock_after, lockout=timedelta(minutes=15))
    return LogIn(factory, HASHER, SettableClock(NOW), SecureSecrets(), policy, timedelta(hours=1))


async def failures(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.execute(select(login_failures.c.failures))).scalars())


async def attempt(use_case: LogIn, password: str) -> str:
    try:
        await use_case.execute(name="Sari", password=password, address="203.0.113.5")
    except (InvalidCredentials, LoginThrottled) as refused:
        return refused.code
    return "signed_in"


async def test_a_burst_of_racing_guesses_never_gets_past_the_slowdown(
    factories: list[SqlAlchemyUnitOfWorkFactory], sql_engine: AsyncEngine
) -> None:
    await add(factories[0], "Sari", Role.CASHIER)

    answers = await asyncio.gather(
        *(attempt(log_in(factories[i % PROCESSES], lock_after=4), f"guess-{i}") for i in range(12))
    )

    # The clock stands still: the first three attempts are counted one by one (none lost),
    # then every other one must wait, however many arrive at once.
    assert answers.count("invalid_credentials") == FREE_FAILURES
    assert answers.count("login_throttled") == 12 - FREE_FAILURES
    assert await failures(sql_engine) == [FREE_FAILURES]


async def test_a_good_sign_in_racing_wrong_ones_always_gets_an_answer(
    factories: list[SqlAlchemyUnitOfWorkFactory],
) -> None:
    # The good one forgets the pair's row while the others insert and lock it again.
    await add(factories[0], "Sari", Role.CASHIER)

    for _ in range(3):
        answers = await asyncio.gather(
            *(
                attempt(log_in(factories[i % PROCESSES], lock_after=50), pw)
                for i, pw in enumerate([PASSWORD, "guess-1", "guess-2", PASSWORD, "guess-3"])
            )
        )
        assert set(answers) <= {"signed_in", "invalid_credentials", "login_throttled"}


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    factories: list[SqlAlchemyUnitOfWorkFactory],
) -> None:
    ani = await add(factories[0], "Ani", Role.ADMIN)
    budi = await add(factories[0], "Budi", Role.ADMIN)

    async def demote(factory: SqlAlchemyUnitOfWorkFactory, who: int, by: int) -> str:
        admin = Staff("x", Role.ADMIN, staff_id=f"account:{by}")
        try:
            await ChangeStaff(factory, HASHER, SettableClock(NOW)).execute(
                who, caller=admin, role=Role.CASHIER
            )
        except LastAdmin:
            return "refused"
        return "demoted"

    answers = await asyncio.gather(demote(factories[0], ani, budi), demote(factories[1], budi, ani))

    assert sorted(answers) == ["demoted", "refused"]
    async with factories[2](read_only=True) as uow:
        roles = [a.role for a in await uow.staff.list()]
    assert roles.count(Role.ADMIN) == 1
