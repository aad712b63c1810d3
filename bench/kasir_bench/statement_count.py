"""How many database round trips one QRIS creation and one order read cost, per database.

Counted, not timed: the real app (the production container, `DUITKU_ENV=fake`, so the
in-memory gateway answers the create) runs in-process on a SQLite file or a PostgreSQL
database, and SQLAlchemy's engine events record every statement sent to the driver and every
transaction begun, committed or rolled back (on PostgreSQL each of those is a round trip of its
own; on SQLite each is a hand-off to the driver's thread). The measured requests are the
process's second of their kind: the first warms imports and lazily built singletons.

    .venv/bin/python bench/kasir_bench/statement_count.py [--pg-url postgresql://...] [-v]

prints, for each database, the statements of: a QRIS creation with the order's token (as
`make bench` sends it), the same with an `Idempotency-Key`, and an order read with the token.
tests/integration/sql pins the totals (docs/benchmarks.md has them, before and after).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.interfaces import CacheStats

SRC = Path(__file__).resolve().parents[2] / "src"
sys.path.insert(0, str(SRC))

from adapters.sqlalchemy.migrate import upgrade_database  # noqa: E402
from entrypoints.container import Container, build_container  # noqa: E402
from entrypoints.http.app import create_app  # noqa: E402
from entrypoints.resources import close_resources  # noqa: E402
from entrypoints.settings import load_settings  # noqa: E402

BASE_URL = "http://kasir.count"
STAFF_TOKEN = "count-staff-token-0123456789"  # noqa: S105 - a throwaway token of this run
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": "081234567890"}


@dataclass(slots=True)
class Trips:
    """What one request sent to the database: statements, and transaction boundaries."""

    statements: list[str] = field(default_factory=list)
    # Statements SQLAlchemy compiled afresh (not from its compiled cache), with the reason.
    uncached: list[str] = field(default_factory=list)
    begins: int = 0
    commits: int = 0
    rollbacks: int = 0

    @property
    def round_trips(self) -> int:
        """Statements plus BEGIN, COMMIT and ROLLBACK: each one a round trip on PostgreSQL."""
        return len(self.statements) + self.begins + self.commits + self.rollbacks

    def summary(self) -> str:
        return (
            f"{len(self.statements)} statements, {self.begins} transactions "
            f"({self.commits} commits, {self.rollbacks} rollbacks): {self.round_trips} round trips"
        )


@dataclass(slots=True)
class Counts:
    dialect: str  # sqlite | postgresql
    qris: Trips
    qris_idempotent: Trips
    get_order: Trips


_CACHE_HIT = CacheStats.CACHE_HIT


def _autocommit(conn: Any) -> bool:
    return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")


@contextmanager
def recorded(engine: Engine) -> Iterator[Trips]:
    """Every statement and transaction boundary the engine sees inside the block."""
    trips = Trips()

    def statement(
        _conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, _many: bool
    ) -> None:
        text = " ".join(sql.split())
        if text.upper().startswith("BEGIN"):  # SQLite's BEGIN is counted as a begin
            return
        trips.statements.append(text)
        hit = getattr(context, "cache_hit", None)
        if context is not None and context.compiled is not None and hit is not _CACHE_HIT:
            trips.uncached.append(f"{hit}: {text}")

    # An AUTOCOMMIT connection sends no BEGIN, COMMIT or ROLLBACK, whatever SQLAlchemy's
    # own transaction events say.
    def begun(conn: Any) -> None:
        trips.begins += not _autocommit(conn)

    def committed(conn: Any) -> None:
        trips.commits += not _autocommit(conn)

    def rolled_back(conn: Any) -> None:
        trips.rollbacks += not _autocommit(conn)

    listeners = (
        ("before_cursor_execute", statement),
        ("begin", begun),
        ("commit", committed),
        ("rollback", rolled_back),
    )
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield trips
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


async def _placed_order(client: httpx.AsyncClient, item_id: int) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/orders", json={"items": [{"menu_item_id": item_id, "quantity": 2}]}
    )
    response.raise_for_status()
    placed: dict[str, Any] = response.json()
    return placed


async def _start_qris(
    client: httpx.AsyncClient, placed: dict[str, Any], *, idempotency_key: str | None = None
) -> None:
    headers = {"X-Order-Token": placed["access_token"]}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    response = await client.post(
        "/api/v1/payments/qris",
        json={"order_id": placed["id"], "amount": placed["total"], "customer_details": CUSTOMER},
        headers=headers,
    )
    if response.status_code != 201:
        raise RuntimeError(f"the QRIS payment did not start: {response.text}")


async def _read_order(client: httpx.AsyncClient, placed: dict[str, Any]) -> None:
    response = await client.get(
        f"/api/v1/orders/{placed['id']}", headers={"X-Order-Token": placed["access_token"]}
    )
    if response.status_code != 200 or len(response.json()["payments"]) != 1:
        raise RuntimeError(f"the order read failed: {response.text}")


async def count(database_url: str) -> Counts:
    """Count one QRIS creation (without and with an idempotency key) and one order read of an
    order with one payment, on the database at `database_url` (migrated here)."""
    settings = load_settings(
        database_url=database_url,
        duitku_env="fake",
        kasir_staff_tokens=f"counter:{STAFF_TOKEN}",
        public_base_url=BASE_URL,
        rate_limit_create_per_minute=0,
    )
    await upgrade_database(settings.database_url)
    container: Container = build_container(settings)
    app = create_app(container)
    engine = container.engine().sync_engine
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            item = await client.post(
                "/api/v1/menu-items", json={"name": "Es teh", "price": 8_000}, headers=STAFF
            )
            item.raise_for_status()
            item_id = item.json()["id"]
            orders = [await _placed_order(client, item_id) for _ in range(4)]
            # Warm-ups: imports, singletons, SQLAlchemy's compiled cache.
            await _start_qris(client, orders[0])
            await _start_qris(client, orders[1], idempotency_key=uuid.uuid4().hex)
            await _read_order(client, orders[0])
            with recorded(engine) as qris:
                await _start_qris(client, orders[2])
            with recorded(engine) as qris_idempotent:
                await _start_qris(client, orders[3], idempotency_key=uuid.uuid4().hex)
            with recorded(engine) as get_order:
                await _read_order(client, orders[2])
    finally:
        await close_resources(container)
    return Counts(
        dialect=engine.dialect.name,
        qris=qris,
        qris_idempotent=qris_idempotent,
        get_order=get_order,
    )


async def _on_postgres(pg_url: str) -> Counts:
    import asyncpg  # noqa: PLC0415 - only this mode needs it

    name = f"kasir_count_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        url = make_url(pg_url).set(drivername="postgresql+asyncpg", database=name)
        return await count(url.render_as_string(hide_password=False))
    finally:
        admin = await asyncpg.connect(pg_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def report(database: str, counts: Counts, *, verbose: bool) -> str:
    lines = [f"{database}:"]
    for label, trips in (
        ("QRIS creation", counts.qris),
        ("QRIS creation with an Idempotency-Key", counts.qris_idempotent),
        ("order read", counts.get_order),
    ):
        lines.append(f"  {label}: {trips.summary()}")
        if verbose:
            lines.extend(f"    {sql[:160]}" for sql in trips.statements)
        lines.extend(f"    not from the compiled cache: {sql[:140]}" for sql in trips.uncached)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every statement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kasir-count-") as directory:
        sqlite = asyncio.run(count(f"sqlite+aiosqlite:///{Path(directory) / 'count.db'}"))
    print(report("SQLite", sqlite, verbose=args.verbose))  # noqa: T201
    if not args.no_pg:
        postgres = asyncio.run(_on_postgres(args.pg_url))
        print(report("PostgreSQL", postgres, verbose=args.verbose))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
