"""Idempotency store contract: the same rules on the in-memory, SQLite and PostgreSQL stores."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.idempotency import InMemoryIdempotencyStore
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.idempotency import SqlAlchemyIdempotencyStore
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.idempotency import IdempotencyRecord, StoredResponse
from application.ports import IdempotencyStore

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
LEASE = timedelta(seconds=60)
RETENTION = timedelta(hours=24)
SCOPE = "POST /api/v1/orders client:10.0.0.7"
ANSWER = StoredResponse(status_code=201, body=b'{"id":1}', content_type="application/json")


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> IdempotencyStore:
    if request.param == "memory":
        return InMemoryIdempotencyStore()
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_engine")
    return SqlAlchemyIdempotencyStore(SqlAlchemyUnitOfWorkFactory(engine))


async def claim(
    store: IdempotencyStore,
    owner: str,
    *,
    key: str = "key-1",
    fingerprint: str = "fp-A",
    now: datetime = NOW,
    scope: str = SCOPE,
) -> IdempotencyRecord:
    return await store.claim(
        scope=scope,
        key=key,
        fingerprint=fingerprint,
        owner=owner,
        now=now,
        lease_until=now + LEASE,
        expires_at=now + RETENTION,
    )


async def complete(store: IdempotencyStore, owner: str, *, now: datetime = NOW) -> bool:
    return await store.complete(
        scope=SCOPE, key="key-1", owner=owner, response=ANSWER, now=now, expires_at=now + RETENTION
    )


async def test_a_new_key_is_held_in_flight_by_its_first_caller(store: IdempotencyStore) -> None:
    record = await claim(store, "first")

    assert record.lease_owner == "first"
    assert record.lease_until == NOW + LEASE
    assert record.response is None
    assert record.fingerprint == "fp-A"
    assert record.expires_at == NOW + RETENTION


async def test_a_key_in_flight_is_not_given_to_a_second_caller(store: IdempotencyStore) -> None:
    await claim(store, "first")

    second = await claim(store, "second", now=NOW + timedelta(seconds=5))

    assert second.lease_owner == "first"
    assert second.response is None


async def test_a_completed_key_returns_its_stored_answer_to_every_later_caller(
    store: IdempotencyStore,
) -> None:
    await claim(store, "first")
    assert await complete(store, "first", now=NOW + timedelta(seconds=1))

    later = await claim(store, "second", now=NOW + timedelta(hours=2))

    assert later.response == ANSWER
    assert later.lease_owner is None
    assert later.fingerprint == "fp-A"


async def test_a_key_reused_for_another_request_keeps_the_first_requests_fingerprint(
    store: IdempotencyStore,
) -> None:
    await claim(store, "first")
    await complete(store, "first")

    other = await claim(store, "second", fingerprint="fp-B")

    assert other.fingerprint == "fp-A"
    assert other.response == ANSWER


async def test_keys_are_separate_per_scope(store: IdempotencyStore) -> None:
    await claim(store, "first")

    elsewhere = await claim(store, "second", scope="POST /api/v1/orders client:10.0.0.8")

    assert elsewhere.lease_owner == "second"


async def test_a_dead_requests_key_is_taken_over_once_its_lease_ran_out(
    store: IdempotencyStore,
) -> None:
    await claim(store, "died")

    before = await claim(store, "retry", now=NOW + LEASE - timedelta(seconds=1))
    after = await claim(store, "retry", now=NOW + LEASE)

    assert before.lease_owner == "died"
    assert after.lease_owner == "retry"
    assert after.lease_until == NOW + LEASE + LEASE
    assert not await complete(store, "died")
    assert await complete(store, "retry")


async def test_a_dead_requests_key_is_not_taken_over_by_a_different_request(
    store: IdempotencyStore,
) -> None:
    await claim(store, "died")

    other = await claim(store, "other", fingerprint="fp-B", now=NOW + LEASE * 2)

    assert other.lease_owner == "died"
    assert other.fingerprint == "fp-A"


async def test_a_key_past_its_retention_is_used_afresh_whatever_the_request(
    store: IdempotencyStore,
) -> None:
    await claim(store, "first")
    await complete(store, "first")

    fresh = await claim(store, "next", fingerprint="fp-B", now=NOW + RETENTION)

    assert fresh.lease_owner == "next"
    assert fresh.fingerprint == "fp-B"
    assert fresh.response is None


async def test_only_the_lease_owner_completes_or_releases_a_key(store: IdempotencyStore) -> None:
    await claim(store, "first")

    assert not await complete(store, "intruder")
    assert not await store.release(scope=SCOPE, key="key-1", owner="intruder")
    assert (await claim(store, "probe")).lease_owner == "first"


async def test_a_released_key_runs_again_for_the_next_caller(store: IdempotencyStore) -> None:
    await claim(store, "first")

    assert await store.release(scope=SCOPE, key="key-1", owner="first")

    assert (await claim(store, "second")).lease_owner == "second"


async def test_a_completed_key_is_neither_completed_again_nor_released(
    store: IdempotencyStore,
) -> None:
    await claim(store, "first")
    await complete(store, "first")

    assert not await complete(store, "first")
    assert not await store.release(scope=SCOPE, key="key-1", owner="first")
    assert (await claim(store, "second")).response == ANSWER


async def test_purging_removes_only_keys_past_their_retention(store: IdempotencyStore) -> None:
    later = NOW + timedelta(hours=1)
    await claim(store, "old", key="old")
    await claim(store, "new", key="new", now=later)
    await store.complete(
        scope=SCOPE,
        key="new",
        owner="new",
        response=ANSWER,
        now=later,
        expires_at=later + RETENTION,
    )

    assert await store.purge_expired(now=NOW + RETENTION) == 1

    assert (await claim(store, "again", key="old", now=NOW + RETENTION)).lease_owner == "again"
    assert (await claim(store, "probe", key="new", now=NOW + RETENTION)).response == ANSWER


async def test_of_many_concurrent_claims_of_one_key_exactly_one_wins(
    store: IdempotencyStore,
) -> None:
    records = await asyncio.gather(*(claim(store, f"caller-{n}") for n in range(12)))

    owners = {record.lease_owner for record in records}
    assert len(owners) == 1
    [owner] = owners
    assert sum(record.lease_owner == f"caller-{n}" for n, record in enumerate(records)) == 1
    assert owner is not None


@pytest.mark.postgres
async def test_claims_from_separate_postgres_engines_give_a_key_to_one_of_them(
    postgres_engine: AsyncEngine, postgres_database_url: str
) -> None:
    engines = [create_engine_for(postgres_database_url) for _ in range(3)]
    try:
        stores = [SqlAlchemyIdempotencyStore(SqlAlchemyUnitOfWorkFactory(e)) for e in engines]
        records = await asyncio.gather(*(claim(stores[n % 3], f"process-{n}") for n in range(15)))
    finally:
        for engine in engines:
            await engine.dispose()

    winners = [n for n, record in enumerate(records) if record.lease_owner == f"process-{n}"]
    assert len(winners) == 1
    assert {record.lease_owner for record in records} == {f"process-{winners[0]}"}
