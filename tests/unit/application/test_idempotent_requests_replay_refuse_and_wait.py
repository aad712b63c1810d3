"""IdempotentRequests on the in-memory store: what makes two requests the same, which answers
are kept, and the decision for each later request with the key."""

from datetime import timedelta

import pytest

from adapters.crypto.aead import AesGcmSealer
from adapters.in_memory.clock import SettableClock
from adapters.in_memory.idempotency import InMemoryIdempotencyStore
from application.idempotency import (
    Decision,
    StoredResponse,
    is_storable,
    is_valid_key,
    request_fingerprint,
)
from application.use_cases.idempotent_requests import DEFAULT_LEASE, IdempotentRequests

SCOPE = "POST /api/v1/orders client:10.0.0.7"
SECRET = "test-secret-of-at-least-32-characters"
CREATED = StoredResponse(status_code=201, body=b'{"id":7}', content_type="application/json")


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture
def requests(clock: SettableClock) -> IdempotentRequests:
    return IdempotentRequests(InMemoryIdempotencyStore(), clock, AesGcmSealer(SECRET, purpose=b"t"))


def test_the_same_json_in_another_key_order_or_spacing_has_the_same_fingerprint() -> None:
    one = request_fingerprint("POST", "/api/v1/orders", b'{"a": 1, "b": [1, 2]}')
    two = request_fingerprint("post", "/api/v1/orders", b'{\n  "b": [1,2],\n  "a": 1\n}')

    assert one == two


@pytest.mark.parametrize(
    ("method", "path", "body", "query"),
    [
        ("PUT", "/api/v1/orders", b'{"a":1}', ""),
        ("POST", "/api/v1/payments/cash", b'{"a":1}', ""),
        ("POST", "/api/v1/orders", b'{"a":2}', ""),
        ("POST", "/api/v1/orders", b'{"a":1}', "x=1"),
        ("POST", "/api/v1/orders", b'{"a":"1"}', ""),
    ],
)
def test_another_method_path_body_or_query_is_another_request(
    method: str, path: str, body: bytes, query: str
) -> None:
    assert request_fingerprint("POST", "/api/v1/orders", b'{"a":1}') != request_fingerprint(
        method, path, body, query
    )


def test_a_body_that_is_not_json_counts_by_its_exact_bytes() -> None:
    form = request_fingerprint("POST", "/p", b"a=1&b=2")

    assert form == request_fingerprint("POST", "/p", b"a=1&b=2")
    assert form != request_fingerprint("POST", "/p", b"b=2&a=1")
    assert request_fingerprint("POST", "/p", b"\xff\xfe") != request_fingerprint("POST", "/p", b"")


@pytest.mark.parametrize("key", ["a", "x" * 255, "550e8400-e29b-41d4-a716-446655440000", "a b~"])
def test_keys_of_1_to_255_printable_ascii_characters_are_valid(key: str) -> None:
    assert is_valid_key(key)


@pytest.mark.parametrize("key", ["", "x" * 256, "café", "tab\tkey", "new\nline", "\x7f"])
def test_empty_long_or_unprintable_keys_are_invalid(key: str) -> None:
    assert not is_valid_key(key)


@pytest.mark.parametrize(
    ("status", "headers", "kept"),
    [
        (201, {}, True),
        (200, {"content-type": "application/json"}, True),
        (404, {}, True),
        (422, {}, True),
        (409, {}, True),  # order_not_payable: the same request always gets it
        (409, {"Retry-After": "5"}, False),  # payment_in_progress: a moment, not an outcome
        (429, {}, False),
        (500, {}, False),
        (502, {}, False),
        (503, {"retry-after": "5"}, False),
        (504, {}, False),
    ],
)
def test_final_answers_are_kept_and_try_again_answers_are_not(
    status: int, headers: dict[str, str], kept: bool
) -> None:
    assert is_storable(status, headers) is kept


async def test_the_first_request_proceeds_and_a_second_while_it_runs_is_in_flight(
    requests: IdempotentRequests, clock: SettableClock
) -> None:
    first = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")
    clock.advance(timedelta(seconds=118))
    second = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")

    assert first.decision is Decision.PROCEED
    assert first.ticket is not None
    assert second.decision is Decision.IN_FLIGHT
    assert second.retry_after == 2  # the lease's remaining seconds, at most 5


async def test_a_finished_request_is_replayed_and_a_different_one_refused(
    requests: IdempotentRequests,
) -> None:
    first = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")
    assert first.ticket is not None
    assert await requests.finish(first.ticket, CREATED)

    replay = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")
    other = await requests.begin(scope=SCOPE, key="k", fingerprint="other")

    assert replay.decision is Decision.REPLAY
    assert replay.response == CREATED
    assert other.decision is Decision.MISMATCH


async def test_an_abandoned_request_runs_again_for_its_retry(requests: IdempotentRequests) -> None:
    first = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")
    assert first.ticket is not None

    await requests.abandon(first.ticket)
    retry = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")

    assert retry.decision is Decision.PROCEED


async def test_a_request_that_outlived_its_lease_cannot_store_its_answer(
    requests: IdempotentRequests, clock: SettableClock
) -> None:
    slow = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")
    assert slow.ticket is not None
    clock.advance(DEFAULT_LEASE)
    retry = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")

    assert retry.decision is Decision.PROCEED
    assert not await requests.finish(slow.ticket, CREATED)


async def test_answers_are_purged_after_24_hours(
    requests: IdempotentRequests, clock: SettableClock
) -> None:
    first = await requests.begin(scope=SCOPE, key="k", fingerprint="fp")
    assert first.ticket is not None
    await requests.finish(first.ticket, CREATED)

    clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    kept = await requests.purge_expired()
    clock.advance(timedelta(seconds=1))
    purged = await requests.purge_expired()

    assert (kept, purged) == (0, 1)
    assert (await requests.begin(scope=SCOPE, key="k", fingerprint="new")).decision is (
        Decision.PROCEED
    )


async def test_a_kept_answer_is_stored_sealed_and_replayed_in_clear(
    requests: IdempotentRequests,
) -> None:
    secret_body = b'{"id":7,"access_token":"tok_7c1f0b9e2d"}'
    begun = await requests.begin(scope=SCOPE, key="k" * 16, fingerprint="f")
    assert begun.ticket is not None
    await requests.finish(begun.ticket, StoredResponse(201, secret_body, "application/json"))

    store = requests.store
    assert isinstance(store, InMemoryIdempotencyStore)
    [kept] = [record.response for record in store.records.values()]
    assert kept is not None
    assert b"tok_7c1f0b9e2d" not in kept.body
    replay = await requests.begin(scope=SCOPE, key="k" * 16, fingerprint="f")
    assert replay.decision is Decision.REPLAY
    assert replay.response == StoredResponse(201, secret_body, "application/json")


async def test_a_kept_answer_sealed_with_another_secret_is_unreadable_not_replayed(
    requests: IdempotentRequests, clock: SettableClock
) -> None:
    begun = await requests.begin(scope=SCOPE, key="k" * 16, fingerprint="f")
    assert begun.ticket is not None
    await requests.finish(begun.ticket, CREATED)
    rotated = IdempotentRequests(
        requests.store, clock, AesGcmSealer("another-secret-of-32-characters-or-more", purpose=b"t")
    )

    again = await rotated.begin(scope=SCOPE, key="k" * 16, fingerprint="f")

    assert again.decision is Decision.UNREADABLE
    assert again.response is None
