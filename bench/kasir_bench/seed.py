"""Bulk history for the scale benchmark: N paid orders with their lines, payments and callbacks.

Written with set-based SQL (PostgreSQL `generate_series`, SQLite a recursive CTE), never
through the API, so a million rows take seconds. The history looks like a year of trading:
one order every 30 seconds, one to three units of a demo menu item each, 80 % paid by QRIS
(a succeeded attempt and the callback that confirmed it in the inbox) and 20 % in cash.
The order_uid is `KSR-` + 32 hex characters like a real one, spread over the key space
(a multiplicative hash in front), so the unique index grows like it would in production.

The schema comes from kasir's own migrations (`kasir migrate`); this only inserts rows, into
the columns it names, and leaves every other column to its default. The SQL is built from
constants and integers only, never from input (hence the `noqa: S608` on those lines).
"""

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

SECONDS_BETWEEN_ORDERS = 30
RETENTION_DAYS = 90  # kasir's default NOTIFICATION_RETENTION_DAYS
SEED_MERCHANT = "DS00001"


@dataclass(frozen=True)
class SeedReport:
    rows: int
    orders: int
    payments: int
    inbox: int
    seconds: float


def _menu_values(menu: Sequence[tuple[str, int]]) -> str:
    return ", ".join(
        f"({i}, '{name.replace(chr(39), chr(39) * 2)}', {price})"
        for i, (name, price) in enumerate(menu, start=1)
    )


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def _pg_statements(n: int, menu: Sequence[tuple[str, int]]) -> list[str]:
    items = len(menu)
    menu_cte = f"menu(id, name, price) AS (VALUES {_menu_values(menu)})"
    uid = (
        "'KSR-' || lpad(to_hex((i::bigint * 2654435761) % 4294967296), 8, '0')"
        " || lpad(to_hex(i), 24, '0')"
    )
    placed = f"(now() - interval '1 day' - ({n} - i) * interval '{SECONDS_BETWEEN_ORDERS} s')"
    series = (
        f"FROM generate_series(1, {n}) AS i "
        f"JOIN menu ON menu.id = (i % {items}) + 1 "
        f"CROSS JOIN LATERAL (SELECT (i % 3) + 1 AS qty) q"
    )
    return [
        f"INSERT INTO menu_items (id, name, price) "  # noqa: S608
        f"SELECT * FROM (VALUES {_menu_values(menu)}) m ON CONFLICT DO NOTHING",
        "SELECT setval(pg_get_serial_sequence('menu_items', 'id'), "
        "(SELECT max(id) FROM menu_items))",
        f"WITH {menu_cte} "
        "INSERT INTO orders (id, status, table_number, access_token_hash, total, placed_at, "
        "paid_at, paid_by, version) "
        f"SELECT i, 'paid', ((i % 40) + 1)::text, md5(i::text) || md5((i + 7)::text), "
        f"menu.price * q.qty, {placed}, {placed} + interval '45 s', {uid}, 1 {series}",
        f"WITH {menu_cte} "
        "INSERT INTO order_lines (order_id, position, menu_item_id, name, unit_price, quantity) "
        f"SELECT i, 0, menu.id, menu.name, menu.price, q.qty {series}",
        f"WITH {menu_cte} "
        "INSERT INTO payments (id, order_uid, order_id, method, amount, status, created_at, "
        "updated_at, gateway_reference, qr_string, payment_url, expires_at, paid_at, "
        "cash_tendered, change_due, taken_by, version, status_checked_at) "
        f"SELECT i, {uid}, i, CASE WHEN i % 5 = 0 THEN 'cash' ELSE 'qris' END, "
        f"menu.price * q.qty, 'succeeded', {placed} + interval '5 s', "
        f"{placed} + interval '45 s', "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE 'SEEDR' || lpad(i::text, 10, '0') END, "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE '00020101021226SEED' || "
        f"{uid} || '54' || length((menu.price * q.qty)::text) || "
        "(menu.price * q.qty) || '5802ID6304SEED' END, "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE 'https://fake-gateway.invalid/pay/SEEDR' || i END, "
        f"{placed} + interval '10 min', {placed} + interval '45 s', "
        "CASE WHEN i % 5 = 0 THEN (menu.price * q.qty / 50000 + 1) * 50000 END, "
        "CASE WHEN i % 5 = 0 THEN (menu.price * q.qty / 50000 + 1) * 50000 "
        "- menu.price * q.qty END, "
        "CASE WHEN i % 5 = 0 THEN 'seed' END, 2, "
        f"CASE WHEN i % 5 = 0 THEN NULL ELSE {placed} + interval '45 s' END {series}",
        f"WITH {menu_cte} "
        "INSERT INTO notification_inbox (received_at, source_address, fields, order_uid, "
        "signature, verification, signature_scheme, outcome, processed_at, needs_review, "
        "personal_data_removed_at) "
        f"SELECT {placed} + interval '44 s', '182.23.85.8', json_build_object("
        f"'merchantCode', '{SEED_MERCHANT}', 'amount', (menu.price * q.qty)::text, "
        f"'merchantOrderId', {uid}, 'productDetail', 'Pesanan ' || i, "
        "'additionalParam', '***', 'paymentCode', 'SP', 'resultCode', '00', "
        "'merchantUserId', '***', 'reference', 'SEEDR' || lpad(i::text, 10, '0'), "
        "'signature', md5(i::text) || md5((i + 1)::text), 'publisherOrderId', 'PUB' || i, "
        "'spUserHash', '***', 'settlementDate', '2026-01-01', 'issuerCode', '93600918', "
        "'customerName', '***'), "
        f"{uid}, md5(i::text) || md5((i + 1)::text), 'verified', 'hmac', 'order_paid', "
        f"{placed} + interval '45 s', false, "
        # kasir's hourly purge has blanked the payer details of entries past the 90-day
        # retention (else the first purge after start would do a year's worth at once)
        f"CASE WHEN {placed} < now() - interval '{RETENTION_DAYS} days' "
        f"THEN {placed} + interval '{RETENTION_DAYS} days 1 hour' END "
        f"{series} WHERE i % 5 <> 0",
        *(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"GREATEST((SELECT max(id) FROM {table}), 1))"
            for table in ("orders", "payments", "notification_inbox")
        ),
    ]


async def seed_postgres(dsn: str, n: int, menu: Sequence[tuple[str, int]]) -> SeedReport:
    """Insert the history in one transaction, then VACUUM ANALYZE like autovacuum would."""
    import asyncpg  # noqa: PLC0415 - only the PostgreSQL runs need it

    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            for statement in _pg_statements(n, menu):
                await connection.execute(statement)
        await connection.execute("VACUUM ANALYZE")
        counts = [
            await connection.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
            for table in ("orders", "payments", "notification_inbox")
        ]
    finally:
        await connection.close()
    orders, payments, inbox = counts
    return SeedReport(n, orders, payments, inbox, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------
# SQLite


def _sqlite_statements(n: int, menu: Sequence[tuple[str, int]]) -> list[str]:
    items = len(menu)
    series = (
        f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}), "  # noqa: S608
        f"menu(id, name, price) AS (VALUES {_menu_values(menu)}), "
        "r AS (SELECT i, menu.id AS item, menu.name AS name, menu.price AS price, "
        "(i % 3) + 1 AS qty, "
        "'KSR-' || printf('%08x', (i * 2654435761) % 4294967296) || printf('%024x', i) AS uid, "
        "CAST(strftime('%s', 'now') AS INTEGER) - 86400 "
        f"- ({n} - i) * {SECONDS_BETWEEN_ORDERS} AS t "
        f"FROM s JOIN menu ON menu.id = (i % {items}) + 1) "
    )

    def at(offset: int) -> str:
        # kasir stores naive UTC text with six fraction digits (fixed width: text order = time)
        return f"(strftime('%Y-%m-%d %H:%M:%S', t + {offset}, 'unixepoch') || '.000000')"

    return [
        f"INSERT OR IGNORE INTO menu_items (id, name, price) VALUES {_menu_values(menu)}",  # noqa: S608
        f"{series}INSERT INTO orders (id, status, table_number, access_token_hash, total, "  # noqa: S608
        "placed_at, paid_at, paid_by, version) "
        "SELECT i, 'paid', CAST((i % 40) + 1 AS TEXT), printf('%064x', i), price * qty, "
        f"{at(0)}, {at(45)}, uid, 1 FROM r",
        f"{series}INSERT INTO order_lines (order_id, position, menu_item_id, name, unit_price, "  # noqa: S608
        "quantity) SELECT i, 0, item, name, price, qty FROM r",
        f"{series}INSERT INTO payments (id, order_uid, order_id, method, amount, status, "  # noqa: S608
        "created_at, updated_at, gateway_reference, qr_string, payment_url, expires_at, "
        "paid_at, cash_tendered, change_due, taken_by, version, status_checked_at) "
        "SELECT i, uid, i, CASE WHEN i % 5 = 0 THEN 'cash' ELSE 'qris' END, price * qty, "
        f"'succeeded', {at(5)}, {at(45)}, "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE printf('SEEDR%010d', i) END, "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE '00020101021226SEED' || uid || '54' || "
        "length(price * qty) || (price * qty) || '5802ID6304SEED' END, "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE 'https://fake-gateway.invalid/pay/SEEDR' || i END, "
        f"{at(600)}, {at(45)}, CASE WHEN i % 5 = 0 THEN (price * qty / 50000 + 1) * 50000 END, "
        "CASE WHEN i % 5 = 0 THEN (price * qty / 50000 + 1) * 50000 - price * qty END, "
        f"CASE WHEN i % 5 = 0 THEN 'seed' END, 2, CASE WHEN i % 5 = 0 THEN NULL ELSE {at(45)} END "
        "FROM r",
        f"{series}INSERT INTO notification_inbox (received_at, source_address, fields, order_uid, "  # noqa: S608
        "signature, verification, signature_scheme, outcome, processed_at, needs_review, "
        "personal_data_removed_at) "
        f"SELECT {at(44)}, '182.23.85.8', json_object("
        f"'merchantCode', '{SEED_MERCHANT}', 'amount', CAST(price * qty AS TEXT), "
        "'merchantOrderId', uid, 'productDetail', 'Pesanan ' || i, 'additionalParam', '***', "
        "'paymentCode', 'SP', 'resultCode', '00', 'merchantUserId', '***', "
        "'reference', printf('SEEDR%010d', i), 'signature', printf('%064x', i * 7), "
        "'publisherOrderId', 'PUB' || i, 'spUserHash', '***', "
        "'settlementDate', '2026-01-01', 'issuerCode', '93600918', 'customerName', '***'), "
        f"uid, printf('%064x', i * 7), 'verified', 'hmac', 'order_paid', {at(45)}, 0, "
        f"CASE WHEN t < CAST(strftime('%s', 'now') AS INTEGER) - {RETENTION_DAYS} * 86400 "
        f"THEN {at(RETENTION_DAYS * 86400 + 3600)} END "
        "FROM r WHERE i % 5 <> 0",
    ]


def seed_sqlite(path: str, n: int, menu: Sequence[tuple[str, int]]) -> SeedReport:
    """Insert the history in one transaction, then hand the file back in WAL mode.

    The load itself runs without a journal (a failed seed is simply run again on a new file);
    the server under test keeps its own settings (WAL, synchronous=NORMAL).
    """
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MiB for the load only
        connection.execute("BEGIN IMMEDIATE")
        for statement in _sqlite_statements(n, menu):
            connection.execute(statement)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
        counts = [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("orders", "payments", "notification_inbox")
        ]
    finally:
        connection.close()
    orders, payments, inbox = counts
    return SeedReport(n, orders, payments, inbox, time.perf_counter() - started)


def seed(database_url: str, n: int, menu: Sequence[tuple[str, int]]) -> SeedReport:
    """Seed the database a kasir DATABASE_URL names (sqlite+aiosqlite or postgresql+asyncpg)."""
    if database_url.startswith("sqlite"):
        return seed_sqlite(database_url.split(":///", 1)[1], n, menu)
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return asyncio.run(seed_postgres(dsn, n, menu))


# ---------------------------------------------------------------------------------------------
# Orders awaiting payment, for the naive callback (one UPDATE each, so one order each request)

NAIVE_TABLE = "bench-naive"  # their table number: how the bench finds them again


def _awaiting_pg(n: int, item: int) -> str:
    return (
        "WITH item AS (SELECT id, name, price FROM menu_items WHERE id = "  # noqa: S608
        f"{int(item)}), placed AS (INSERT INTO orders (status, table_number, access_token_hash, "
        "total, placed_at, version) SELECT 'awaiting_payment', "
        f"'{NAIVE_TABLE}', md5(i::text) || md5((i + 7)::text), item.price, now(), 0 "
        f"FROM generate_series(1, {int(n)}) AS i CROSS JOIN item RETURNING id, total), "
        "lines AS (INSERT INTO order_lines (order_id, position, menu_item_id, name, unit_price, "
        "quantity) SELECT placed.id, 0, item.id, item.name, item.price, 1 FROM placed "
        "CROSS JOIN item) SELECT id, total FROM placed ORDER BY id"
    )


async def _awaiting_postgres(dsn: str, n: int, item: int) -> list[tuple[int, int]]:
    import asyncpg  # noqa: PLC0415 - only the PostgreSQL runs need it

    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(_awaiting_pg(n, item))
    finally:
        await connection.close()
    return [(int(r["id"]), int(r["total"])) for r in rows]


def _awaiting_sqlite(path: str, n: int, item: int) -> list[tuple[int, int]]:
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")  # the server's own settings stay (WAL, NORMAL)
        placed = connection.execute(
            f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {int(n)}) "  # noqa: S608
            "INSERT INTO orders (status, table_number, access_token_hash, total, placed_at, "
            f"version) SELECT 'awaiting_payment', '{NAIVE_TABLE}', printf('%064x', i), "
            "(SELECT price FROM menu_items WHERE id = "
            f"{int(item)}), strftime('%Y-%m-%d %H:%M:%f000', 'now'), 0 FROM s "
            "RETURNING id, total"
        ).fetchall()
        connection.executemany(
            "INSERT INTO order_lines (order_id, position, menu_item_id, name, unit_price, "
            "quantity) SELECT ?, 0, id, name, price, 1 FROM menu_items WHERE id = ?",
            [(order_id, item) for order_id, _ in placed],
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return sorted((int(i), int(total)) for i, total in placed)


def awaiting_orders(database_url: str, n: int, item: int) -> list[tuple[int, int]]:
    """Insert `n` orders of one `item` awaiting payment; their ids and totals.

    Straight into the database: the naive scenario pays thousands per second, more than the
    API could place in the time of the setup. Only the rows the naive UPDATE touches matter,
    and they look like kasir's own (one line, a token hash, the item's price)."""
    if database_url.startswith("sqlite"):
        return _awaiting_sqlite(database_url.split(":///", 1)[1], n, item)
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return asyncio.run(_awaiting_postgres(dsn, n, item))
