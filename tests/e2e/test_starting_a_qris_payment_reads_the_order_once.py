"""The QRIS start authorizes the caller inside its own first read: the order is read once.

The controller used to read the whole order (and its payments) to check the order token, and
the use case then read it again under its row lock. Now the use case checks the token against
the row it locks, so the request reads the order row once and never lists its payments. (The
transaction that records the QR also writes its outbox event, which describes the order with
one narrow read of its status and total: no token, no lines.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event

if TYPE_CHECKING:
    from tests.e2e.conftest import Stack


@contextmanager
def statements(stack: Stack) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    seen: list[str] = []
    engine = stack.container.engine().sync_engine

    def record(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads_of(table: str, seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f"FROM {table} " in f"{s} "]


def full_reads_of_orders(seen: list[str]) -> list[str]:
    """Reads of whole order rows (the outbox's narrow read of status and total left out)."""
    return [s for s in reads_of("orders", seen) if "orders.access_token_hash" in s]


async def test_starting_a_qris_payment_with_the_orders_token_reads_the_order_once(
    fake_api: Stack,
) -> None:
    order = await fake_api.place_order()

    with statements(fake_api) as seen:
        response = await fake_api.start_qris(order)

    assert response.status_code == 201, response.text
    assert len(full_reads_of_orders(seen)) == 1
    assert len(reads_of("orders", seen)) == 2  # and the outbox's narrow one
    assert len(reads_of("order_lines", seen)) == 1


async def test_a_wrong_token_is_refused_in_the_same_single_read(fake_api: Stack) -> None:
    order = await fake_api.place_order()

    with statements(fake_api) as seen:
        response = await fake_api.start_qris(order, headers={"X-Order-Token": "not-the-token"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert len(reads_of("orders", seen)) == 1
    assert not any(s.startswith(("INSERT", "UPDATE")) for s in seen)
