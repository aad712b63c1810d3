"""The migrated schema equals the models, and the database itself enforces every rule."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.migrate import alembic_config
from adapters.sqlalchemy.schema import metadata

TABLES = tuple(table.name for table in metadata.sorted_tables)
# Indexes later migrations added to the payments table (0011: the day report's).
LATER_PAYMENT_INDEXES = frozenset({"ix_payments_paid_at", "ix_payments_refund_resolved_at"})


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


def _where(options: dict[str, Any]) -> str | None:
    for key, value in options.items():
        if key.endswith("_where") and value is not None:
            return str(value)
    return None


def _table_snapshot(inspector: Inspector, table: str) -> dict[str, Any]:
    return {
        "indexes": sorted(
            (
                ix["name"],
                tuple(ix["column_names"]),
                bool(ix["unique"]),
                _where(ix["dialect_options"]),
            )
            for ix in inspector.get_indexes(table)
        ),
        "checks": sorted(
            (ck["name"], " ".join(ck["sqltext"].split()))
            for ck in inspector.get_check_constraints(table)
        ),
        "uniques": sorted(
            (uq["name"], tuple(uq["column_names"]))
            for uq in inspector.get_unique_constraints(table)
        ),
        "foreign_keys": sorted(
            (
                (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
            key=repr,  # SQLite reports some names as None
        ),
    }


def _snapshot(connection: Connection) -> dict[str, Any]:
    """What alembic's comparison leaves out: index predicates and CHECK constraints."""
    inspector = inspect(connection)
    return {table: _table_snapshot(inspector, table) for table in TABLES}


async def _run(engine: AsyncEngine, function: Callable[[Connection], Any]) -> Any:
    async with engine.connect() as connection:
        return await connection.run_sync(function)


async def _models_snapshot(url: str) -> dict[str, Any]:
    engine = create_engine_for(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        snapshot: dict[str, Any] = await _run(engine, _snapshot)
        return snapshot
    finally:
        await engine.dispose()


async def test_the_migrated_sqlite_schema_equals_the_models(
    sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    assert await _run(sqlite_engine, _differences) == []
    models = await _models_snapshot(f"sqlite+aiosqlite:///{tmp_path / 'models.db'}")
    migrated = await _run(sqlite_engine, _snapshot)
    assert migrated == models
    assert (
        "uq_payments_open_qris_per_order",
        ("order_id",),
        True,
        ("method = 'qris' AND status IN ('creating', 'pending')"),
    ) in migrated["payments"]["indexes"]


@pytest.mark.postgres
async def test_the_migrated_postgres_schema_equals_the_models(
    postgres_engine: AsyncEngine, scratch_postgres_url: str
) -> None:
    assert await _run(postgres_engine, _differences) == []
    models = await _models_snapshot(scratch_postgres_url)
    migrated = await _run(postgres_engine, _snapshot)
    assert migrated == models
    [open_qris] = [
        ix for ix in migrated["payments"]["indexes"] if ix[0] == "uq_payments_open_qris_per_order"
    ]
    assert open_qris[2] is True
    assert "qris" in open_qris[3]
    assert "creating" in open_qris[3]
    assert "pending" in open_qris[3]


async def _alembic(url: str, engine: AsyncEngine, action: str, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_each_migration_downgrades_cleanly_and_upgrades_again(
    sqlite_engine: AsyncEngine, sqlite_database_url: str, tmp_path: Path
) -> None:
    models = await _models_snapshot(f"sqlite+aiosqlite:///{tmp_path / 'models.db'}")
    await _alembic(sqlite_database_url, sqlite_engine, "downgrade", "0001")
    at_0001 = await _run(sqlite_engine, _snapshot_without_inbox)
    # Undoing 0002 leaves the payments table as 0001 made it, CHECKs and partial index included
    # (all but what later revisions added: the cash drawer's shift rules, the reports' indexes).
    assert at_0001["payments"] == _as_made_by_0001(models["payments"])
    await _alembic(sqlite_database_url, sqlite_engine, "downgrade", "base")
    tables = await _run(sqlite_engine, lambda c: inspect(c).get_table_names())
    assert set(tables) <= {"alembic_version"}
    await _alembic(sqlite_database_url, sqlite_engine, "upgrade", "head")
    assert await _run(sqlite_engine, _differences) == []
    assert await _run(sqlite_engine, _snapshot) == models


def _as_made_by_0001(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        kind: [
            item
            for item in items
            if "shift" not in str(item[0]) and item[0] not in LATER_PAYMENT_INDEXES
        ]
        for kind, items in snapshot.items()
    }


def _snapshot_without_inbox(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    assert "notification_inbox" not in inspector.get_table_names()
    assert "status_checked_at" not in {c["name"] for c in inspector.get_columns("payments")}
    return {"payments": _table_snapshot(inspector, "payments")}


# --- constraints, proven with raw SQL ---------------------------------------------------------

INSERT_MENU = "INSERT INTO menu_items (id, name, price) VALUES (:id, 'Nasi', :price)"
INSERT_ORDER = (
    "INSERT INTO orders (id, status, access_token_hash, total, placed_at)"
    " VALUES (:id, 'awaiting_payment', 'h', 1000, CURRENT_TIMESTAMP)"
)
INSERT_LINE = (
    "INSERT INTO order_lines (order_id, position, menu_item_id, name, unit_price, quantity)"
    " VALUES (:order_id, :position, :menu_item_id, 'Nasi', 1000, :quantity)"
)
INSERT_PAYMENT = (
    "INSERT INTO payments (order_uid, order_id, method, amount, status, created_at, updated_at,"
    " gateway_reference) VALUES (:uid, :order_id, :method, :amount, :status,"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :reference)"
)


def payment(uid: str, **overrides: Any) -> dict[str, Any]:
    values = {
        "uid": uid,
        "order_id": 1,
        "method": "qris",
        "amount": 1000,
        "status": "creating",
        "reference": None,
    }
    return {**values, **overrides}


async def _execute(engine: AsyncEngine, statement: str, params: dict[str, Any]) -> None:
    """One statement in its own committed transaction."""
    async with engine.begin() as connection:
        await connection.execute(text(statement), params)


async def _fails(engine: AsyncEngine, statement: str, params: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError):
        await _execute(engine, statement, params)


@pytest.fixture
async def db(sql_engine: AsyncEngine) -> AsyncEngine:
    """A database holding menu item 1 and orders 1 and 2."""
    await _execute(sql_engine, INSERT_MENU, {"id": 1, "price": 1000})
    await _execute(sql_engine, INSERT_ORDER, {"id": 1})
    await _execute(sql_engine, INSERT_ORDER, {"id": 2})
    return sql_engine


async def _count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        result = await connection.execute(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        return int(result.scalar_one())


async def test_the_database_refuses_a_second_payment_with_the_same_order_uid(
    db: AsyncEngine,
) -> None:
    await _execute(db, INSERT_PAYMENT, payment("KSR-1", status="failed"))
    await _fails(db, INSERT_PAYMENT, payment("KSR-1", order_id=2, status="failed"))


async def test_the_database_refuses_a_gateway_reference_used_twice_but_allows_many_nulls(
    db: AsyncEngine,
) -> None:
    await _execute(db, INSERT_PAYMENT, payment("KSR-1", status="failed", reference="R1"))
    await _fails(db, INSERT_PAYMENT, payment("KSR-2", status="failed", reference="R1"))
    await _execute(db, INSERT_PAYMENT, payment("KSR-3", status="failed"))
    await _execute(db, INSERT_PAYMENT, payment("KSR-4", status="failed"))
    assert await _count(db, "payments") == 3


@pytest.mark.parametrize(
    ("first", "second"),
    [("creating", "creating"), ("creating", "pending"), ("pending", "pending")],
)
async def test_the_database_refuses_two_open_qris_attempts_for_one_order(
    db: AsyncEngine, first: str, second: str
) -> None:
    await _execute(db, INSERT_PAYMENT, payment("KSR-1", status=first))
    await _fails(db, INSERT_PAYMENT, payment("KSR-2", status=second))
    await _execute(db, INSERT_PAYMENT, payment("KSR-3", order_id=2, status=second))


async def test_the_database_allows_an_open_qris_attempt_beside_closed_ones_and_cash(
    db: AsyncEngine,
) -> None:
    await _execute(db, INSERT_PAYMENT, payment("KSR-1", status="pending"))
    for n, status in enumerate(["failed", "expired", "cancelled", "succeeded"]):
        await _execute(db, INSERT_PAYMENT, payment(f"KSR-closed-{n}", status=status))
    await _execute(db, INSERT_PAYMENT, payment("KSR-cash", method="cash", status="succeeded"))
    assert await _count(db, "payments") == 6


async def test_the_database_refuses_rows_that_point_at_nothing(db: AsyncEngine) -> None:
    await _fails(db, INSERT_PAYMENT, payment("KSR-1", order_id=99))
    await _fails(db, INSERT_LINE, {"order_id": 99, "position": 0, "menu_item_id": 1, "quantity": 1})
    await _fails(db, INSERT_LINE, {"order_id": 1, "position": 0, "menu_item_id": 99, "quantity": 1})
    await _execute(
        db, INSERT_LINE, {"order_id": 1, "position": 0, "menu_item_id": 1, "quantity": 1}
    )


async def test_the_database_refuses_negative_money_and_unknown_states(db: AsyncEngine) -> None:
    await _fails(db, INSERT_PAYMENT, payment("KSR-1", amount=-1))
    await _fails(db, INSERT_PAYMENT, payment("KSR-2", status="paid"))
    await _fails(db, INSERT_PAYMENT, payment("KSR-3", method="card"))
    await _fails(db, INSERT_MENU, {"id": 2, "price": -5})
    await _fails(db, INSERT_LINE, {"order_id": 1, "position": 0, "menu_item_id": 1, "quantity": 0})
    await _fails(
        db,
        "UPDATE orders SET status = 'refunded' WHERE id = 1",
        {},
    )
    await _execute(db, INSERT_PAYMENT, payment("KSR-4", amount=0))
    assert await _count(db, "payments") == 1


async def test_every_qris_attempt_made_before_0005_was_issued_by_duitku_and_cash_by_none(
    sqlite_engine: AsyncEngine, sqlite_database_url: str
) -> None:
    await _alembic(sqlite_database_url, sqlite_engine, "downgrade", "0004")
    await _execute(sqlite_engine, INSERT_MENU, {"id": 1, "price": 1000})
    await _execute(sqlite_engine, INSERT_ORDER, {"id": 1})
    await _execute(sqlite_engine, INSERT_PAYMENT, payment("KSR-QRIS", status="expired"))
    await _execute(
        sqlite_engine, INSERT_PAYMENT, payment("KSR-CASH", method="cash", status="succeeded")
    )

    await _alembic(sqlite_database_url, sqlite_engine, "upgrade", "head")

    async with sqlite_engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT order_uid, gateway FROM payments ORDER BY order_uid")
        )
        assert rows.all() == [("KSR-CASH", None), ("KSR-QRIS", "duitku")]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, sqlite_database_url: str) -> str:
    """An empty database on each backend, for a test that walks the migrations itself."""
    if request.param == "sqlite":
        return sqlite_database_url
    url: str = request.getfixturevalue("scratch_postgres_url")
    return url


async def test_every_notification_received_before_0007_came_from_duitku(
    unmigrated_url: str,
) -> None:
    engine = create_engine_for(unmigrated_url)
    try:
        await _alembic(unmigrated_url, engine, "upgrade", "0006")
        await _execute(
            engine,
            "INSERT INTO notification_inbox (received_at, fields, verification, needs_review) "
            "VALUES (:at, '{}', 'verified', false)",
            {"at": datetime(2026, 1, 1, tzinfo=UTC)},
        )

        await _alembic(unmigrated_url, engine, "upgrade", "head")

        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT gateway FROM notification_inbox"))
            assert rows.all() == [("duitku",)]
    finally:
        await engine.dispose()
