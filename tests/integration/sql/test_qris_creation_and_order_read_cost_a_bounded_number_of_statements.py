"""Creating a QRIS payment and reading an order cost a bounded number of database round trips,
on SQLite and on PostgreSQL.

Counted, not timed (speed lives in bench/): `kasir_bench.statement_count` runs the real app
in-process and records every statement and every BEGIN, COMMIT and ROLLBACK its engine sends
(each a round trip on PostgreSQL, a hand-off to the driver's thread on SQLite). The bounds are
the counts of docs/benchmarks.md; a change that adds a round trip to these paths must say why
there and raise them here.
"""

import pytest

from kasir_bench.statement_count import Counts, count

# A QRIS creation: the attempt recorded (order read with its lines under its lock, the
# attempt inserted, its outbox event), the gateway called with no transaction open, the QR
# recorded (attempt locked and updated, its outbox event). The outbox's own statements
# (sequence bump, event insert, subscribers) are 3 of each transaction's.
QRIS_STATEMENTS = 11
QRIS_ROUND_TRIPS = QRIS_STATEMENTS + 4  # two transactions: BEGIN and COMMIT each
# An order read: the order, its lines and its attempts in one statement, in a read-only
# transaction (BEGIN, ROLLBACK).
ORDER_READ_STATEMENTS = 1
ORDER_READ_ROUND_TRIPS = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def counts(request: pytest.FixtureRequest) -> Counts:
    database_url: str = request.getfixturevalue(f"{request.param}_database_url")
    return await count(database_url)


async def test_creating_a_qris_payment_costs_at_most_eleven_statements_in_two_transactions(
    counts: Counts,
) -> None:
    qris = counts.qris
    assert len(qris.statements) <= QRIS_STATEMENTS, "\n".join(qris.statements)
    assert qris.begins == qris.commits == 2
    assert qris.round_trips <= QRIS_ROUND_TRIPS


async def test_an_idempotency_key_adds_one_statement_to_claim_it_and_one_to_store_the_answer(
    counts: Counts,
) -> None:
    """On PostgreSQL each is a transaction by itself, sent in autocommit (no BEGIN, no COMMIT);
    SQLite queues it behind the process's write gate in a transaction of its own."""
    keyed = counts.qris_idempotent
    assert len(keyed.statements) <= QRIS_STATEMENTS + 2, "\n".join(keyed.statements)
    extra_transactions = 0 if counts.dialect == "postgresql" else 2
    assert keyed.round_trips <= QRIS_ROUND_TRIPS + 2 + 2 * extra_transactions


async def test_reading_an_order_with_its_token_costs_one_statement(counts: Counts) -> None:
    read = counts.get_order
    assert len(read.statements) <= ORDER_READ_STATEMENTS, "\n".join(read.statements)
    assert read.round_trips <= ORDER_READ_ROUND_TRIPS


async def test_no_statement_of_either_path_is_compiled_afresh_once_warm(counts: Counts) -> None:
    """A statement built per request (or one SQLAlchemy cannot cache) would be compiled again
    on every request: the measured requests are the second of their kind."""
    for trips in (counts.qris, counts.qris_idempotent, counts.get_order):
        assert trips.uncached == []
