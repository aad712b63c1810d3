"""Repositories over an AsyncConnection, written as explicit Core statements.

No ORM unit-of-work tracking and no lazy loading: every read is one `SELECT` (an order by id
brings its lines along as JSON; a list of orders reads their lines in a second, batched one),
every write is one `INSERT` or one conditional `UPDATE`. An update only
applies to the version that was read (payments also to the status that was read) and raises
ConcurrentUpdate when another transaction got there first. Inserts use `ON CONFLICT DO NOTHING`
(SQLite and PostgreSQL), so a unique-key clash becomes ConcurrentUpdate and leaves the
transaction usable, with no savepoint round trips.
"""

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Insert,
    Result,
    Table,
    Text,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from adapters.sqlalchemy import mappers
from adapters.sqlalchemy.errors import busy_error, is_busy, is_conflict
from adapters.sqlalchemy.order_listing import order_list_query
from adapters.sqlalchemy.tables import menu_items, order_lines, orders, payments
from application.errors import ConcurrentUpdate
from application.reports import OrderFilter
from domain.menu import MenuItem
from domain.orders import Order
from domain.payments import OPEN_STATUSES, Payment, PaymentMethod, PaymentStatus

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]]

_MENU = [menu_items.c[name] for name in mappers.MENU_ITEM_COLUMNS]
_ORDER = [orders.c[name] for name in mappers.ORDER_COLUMNS]
_LINE = [order_lines.c[name] for name in mappers.ORDER_LINE_COLUMNS]
_PAYMENT = [payments.c[name] for name in mappers.PAYMENT_COLUMNS]
_OPEN = sorted(status.value for status in OPEN_STATUSES)

# Statements are built once; SQLAlchemy caches their compiled form.
_INSERT_MENU_ITEM = insert(menu_items).returning(menu_items.c.id)
_SELECT_MENU_ITEM = select(*_MENU).where(menu_items.c.id == bindparam("key_id"))
_SELECT_MENU_ITEMS = select(*_MENU).where(menu_items.c.id.in_(bindparam("ids", expanding=True)))
_UPDATE_MENU_ITEM = update(menu_items).where(menu_items.c.id == bindparam("key_id"))

_INSERT_ORDER = insert(orders).returning(orders.c.id)
_INSERT_LINES = insert(order_lines)


def _lines_as_json(dialect: str) -> ColumnElement[Any]:
    """The order's lines as one JSON array of `mappers.ORDER_LINE_JSON` arrays, from a
    correlated subquery: the order and its lines come back in one row of one statement."""
    line = [order_lines.c[name] for name in mappers.ORDER_LINE_JSON]
    if dialect == "postgresql":
        aggregate: ColumnElement[Any] = sql_cast(func.json_agg(func.json_build_array(*line)), Text)
    elif dialect == "sqlite":
        aggregate = func.json_group_array(func.json_array(*line))
    else:
        raise NotImplementedError(f"kasir supports SQLite and PostgreSQL, not {dialect}")
    subquery = select(aggregate).where(order_lines.c.order_id == orders.c.id).correlate(orders)
    return subquery.scalar_subquery().label(mappers.ORDER_LINES_LABEL)


# One statement per dialect; the lock takes the order row only (the lines never change).
_SELECT_ORDER = {
    name: select(*_ORDER, _lines_as_json(name)).where(orders.c.id == bindparam("key_id"))
    for name in ("postgresql", "sqlite")
}
_SELECT_ORDER_FOR_UPDATE = {
    name: statement.with_for_update(of=orders) for name, statement in _SELECT_ORDER.items()
}
# The order (lines as JSON) joined to its attempts, one row per attempt, oldest first; the
# attempt columns are labelled `payment_<column>`, so none clashes with an order column.
_SELECT_ORDER_WITH_PAYMENTS = {
    name: select(
        *_ORDER,
        _lines_as_json(name),
        *(column.label(f"{mappers.PAYMENT_PREFIX}{column.name}") for column in _PAYMENT),
    )
    .select_from(orders.outerjoin(payments, payments.c.order_id == orders.c.id))
    .where(orders.c.id == bindparam("key_id"))
    .order_by(payments.c.created_at, payments.c.id)
    for name in ("postgresql", "sqlite")
}
_SELECT_LINES = (
    select(*_LINE)
    .where(order_lines.c.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(order_lines.c.order_id, order_lines.c.position)
)
_UPDATE_ORDER = (
    update(orders)
    .where(orders.c.id == bindparam("key_id"), orders.c.version == bindparam("read_version"))
    .values(version=orders.c.version + 1)
)

_SELECT_PAYMENT = select(*_PAYMENT).where(payments.c.order_uid == bindparam("key_uid"))
_SELECT_PAYMENT_FOR_UPDATE = _SELECT_PAYMENT.with_for_update()
_UPDATE_PAYMENT = (
    update(payments)
    .where(
        payments.c.order_uid == bindparam("key_uid"),
        payments.c.version == bindparam("read_version"),
    )
    .values(version=payments.c.version + 1)
)
_UPDATE_PAYMENT_IN_STATUS = _UPDATE_PAYMENT.where(payments.c.status == bindparam("read_status"))
# The attempt, its order and the order's lines in one read, the order and the attempt locked in
# that order: PostgreSQL takes the row locks of `FOR UPDATE OF` in the order the tables are named,
# and re-reads both rows if it had to wait. (Lines are never changed once inserted, so reading
# them unlocked is as good as after the lock.) SQLite ignores FOR UPDATE: its writers are
# serialized by BEGIN IMMEDIATE.
_P = "p_"
_O = "o_"
_L = "l_"
_SELECT_LOCKED_WITH_ORDER = (
    select(
        *(payments.c[name].label(_P + name) for name in mappers.PAYMENT_COLUMNS),
        *(orders.c[name].label(_O + name) for name in mappers.ORDER_COLUMNS),
        *(order_lines.c[name].label(_L + name) for name in mappers.ORDER_LINE_COLUMNS),
    )
    .select_from(
        orders.join(payments, payments.c.order_id == orders.c.id).outerjoin(
            order_lines, order_lines.c.order_id == orders.c.id
        )
    )
    .where(payments.c.order_uid == bindparam("key_uid"))
    .order_by(order_lines.c.position)
    .with_for_update(of=[orders, payments])
)


def _update_with_order() -> Executable:
    """PostgreSQL: the conditional updates of a payment and of its order in one statement (the
    order's as a data-modifying CTE). Each keeps its own condition (version; for the payment
    also the status read); the count of the order's updated rows comes back with the payment's
    row, so either missing is a ConcurrentUpdate, as with two statements. Their parameters are
    prefixed, as both tables have columns of the same names."""
    order_written = (
        update(orders)
        .where(
            orders.c.id == bindparam("o_key_id"),
            orders.c.version == bindparam("o_read_version"),
        )
        .values(
            {
                **{
                    name: bindparam(_O + name, type_=orders.c[name].type)
                    for name in mappers.ORDER_CHANGES
                },
                "version": orders.c.version + 1,
            }
        )
        .returning(orders.c.id)
        .cte("order_written")
    )
    return (
        update(payments)
        .where(
            payments.c.order_uid == bindparam("p_key_uid"),
            payments.c.version == bindparam("p_read_version"),
            payments.c.status == bindparam("p_read_status"),
        )
        .values(
            {
                **{
                    name: bindparam(_P + name, type_=payments.c[name].type)
                    for name in mappers.PAYMENT_CHANGES
                },
                "version": payments.c.version + 1,
            }
        )
        .add_cte(order_written)
        .returning(select(func.count()).select_from(order_written).scalar_subquery())
    )


_UPDATE_WITH_ORDER = _update_with_order()
_SELECT_PAYMENTS_OF_ORDER = (
    select(*_PAYMENT)
    .where(payments.c.order_id == bindparam("order_id"))
    .order_by(payments.c.created_at, payments.c.id)
)
_SELECT_OPEN_QRIS = (
    select(*_PAYMENT)
    .where(
        payments.c.order_id == bindparam("order_id"),
        payments.c.method == PaymentMethod.QRIS.value,
        payments.c.status.in_(_OPEN),
    )
    .limit(1)
)
_SELECT_STALE_CREATING = (
    select(*_PAYMENT)
    .where(
        payments.c.status == PaymentStatus.CREATING.value,
        payments.c.created_at < bindparam("created_before"),
    )
    .order_by(payments.c.created_at, payments.c.id)
)
_SELECT_FLAGGED_REFUNDS = (
    select(*_PAYMENT)
    .where(payments.c.refund_required_at.is_not(None))
    .order_by(payments.c.refund_required_at.desc(), payments.c.id.desc())
)
_SELECT_OPEN_REFUNDS = _SELECT_FLAGGED_REFUNDS.where(payments.c.refund_resolved_at.is_(None))
CLAIM_STATUS_CHECK = (
    update(payments)
    .where(
        payments.c.order_uid == bindparam("key_uid"),
        or_(
            payments.c.status_checked_at.is_(None),
            payments.c.status_checked_at <= bindparam("checked_before"),
        ),
    )
    .values(status_checked_at=bindparam("now"))
)
_FLAG_FOR_REVIEW = (
    update(payments)
    .where(payments.c.order_uid == bindparam("key_uid"))
    .values(
        review_required_at=bindparam("now"),
        review_reason=bindparam("reason"),
        review_resolved_at=None,
        review_resolved_by=None,
        review_note=None,
        next_check_at=bindparam("next_check_at"),
    )
)
_RESOLVE_REVIEW = (
    update(payments)
    .where(
        payments.c.order_uid == bindparam("key_uid"),
        payments.c.review_required_at.is_not(None),
        payments.c.review_resolved_at.is_(None),
    )
    .values(
        review_resolved_at=bindparam("now"),
        review_resolved_by=bindparam("by"),
        review_note=bindparam("note"),
        rejected_check_count=0,
    )
)


def claim_params(attempt_id: str, now: datetime, min_interval: timedelta) -> dict[str, Any]:
    """The parameters of CLAIM_STATUS_CHECK (also run by the inbox, with the entry it stores)."""
    return {"key_uid": attempt_id, "checked_before": now - min_interval, "now": now}


def insert_unless_conflict(dialect: str, table: Table) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING id`: no row back means a unique key clash."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing().returning(table.c.id)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing().returning(table.c.id)
    raise NotImplementedError(f"kasir supports SQLite and PostgreSQL, not {dialect}")


_INSERT_PAYMENT = {
    name: insert_unless_conflict(name, payments) for name in ("postgresql", "sqlite")
}


class SqlAlchemyRepository:
    """Shared plumbing: the session, the read-only guard, error translation."""

    def __init__(self, session: AsyncConnection, *, read_only: bool = False) -> None:
        self._session = session
        self._read_only = read_only
        self._dialect = session.dialect.name

    def _writable(self) -> None:
        if self._read_only:
            raise RuntimeError("write in a read-only unit of work")

    def _read_only_use(self) -> None:
        """For reads whose rows must never be written back (nothing remembers their state)."""
        if not self._read_only:
            raise RuntimeError("this read is for read-only units of work")

    async def _run(self, statement: Executable, params: Params | None = None) -> Result[Any]:
        try:
            return await self._session.execute(statement, params)
        except DBAPIError as exc:
            if is_busy(exc):
                raise busy_error(exc) from exc
            raise

    async def _write(self, statement: Executable, params: Params, what: str) -> Result[Any]:
        """A write; a unique or foreign key clash becomes ConcurrentUpdate. (On PostgreSQL such
        an error also aborts the transaction: inserts avoid it with ON CONFLICT DO NOTHING.)"""
        self._writable()
        try:
            return await self._run(statement, params)
        except IntegrityError as exc:
            if is_conflict(exc):
                raise ConcurrentUpdate(f"{what} conflicts with a stored row") from exc
            raise

    async def _update(self, statement: Executable, params: Mapping[str, Any], what: str) -> None:
        """A conditional update; no matching row means someone else changed it first."""
        result = await self._write(statement, params, what)
        if cast(CursorResult[Any], result).rowcount != 1:
            raise ConcurrentUpdate(f"{what} changed since it was read")


class SqlAlchemyMenuRepository(SqlAlchemyRepository):
    """Menu items by id."""

    async def add(self, item: MenuItem) -> None:
        result = await self._write(_INSERT_MENU_ITEM, mappers.menu_item_values(item), "menu item")
        item.id = result.scalar_one()

    async def get(self, item_id: int) -> MenuItem | None:
        row = (await self._run(_SELECT_MENU_ITEM, {"key_id": item_id})).first()
        return mappers.menu_item_from_row(row._mapping) if row else None

    async def get_many(self, item_ids: Collection[int]) -> dict[int, MenuItem]:
        if not item_ids:
            return {}
        result = await self._run(_SELECT_MENU_ITEMS, {"ids": list(item_ids)})
        items = (mappers.menu_item_from_row(row._mapping) for row in result)
        return {item.id: item for item in items if item.id is not None}

    async def list(self, *, available_only: bool = False) -> builtins.list[MenuItem]:
        statement = select(*_MENU).order_by(menu_items.c.id)
        if available_only:
            statement = statement.where(menu_items.c.available.is_(True))
        result = await self._run(statement)
        return [mappers.menu_item_from_row(row._mapping) for row in result]

    async def update(self, item: MenuItem) -> None:
        if item.id is None:
            raise ConcurrentUpdate("menu item was never stored")
        params = {**mappers.menu_item_values(item), "key_id": item.id}
        await self._update(_UPDATE_MENU_ITEM, params, f"menu item {item.id}")


class SqlAlchemyOrderRepository(SqlAlchemyRepository):
    """Orders with their lines; the lines are loaded explicitly in one batched query."""

    async def add(self, order: Order) -> None:
        result = await self._write(_INSERT_ORDER, mappers.order_values(order), "order")
        order_id: int = result.scalar_one()
        if order.lines:
            await self._write(_INSERT_LINES, mappers.order_line_values(order_id, order), "order")
        order.assign_id(order_id)

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        """One statement: the order row with its lines aggregated as JSON."""
        statements = _SELECT_ORDER_FOR_UPDATE if for_update else _SELECT_ORDER
        try:
            statement = statements[self._dialect]
        except KeyError:
            raise NotImplementedError(f"unsupported database {self._dialect}") from None
        row = (await self._run(statement, {"key_id": order_id})).first()
        return mappers.order_from_row_with_lines(row._mapping) if row else None

    async def get_with_payments(self, order_id: int) -> tuple[Order, list[Payment]] | None:
        """One statement: the order, its lines as JSON, and its attempts joined to it."""
        self._read_only_use()
        try:
            statement = _SELECT_ORDER_WITH_PAYMENTS[self._dialect]
        except KeyError:
            raise NotImplementedError(f"unsupported database {self._dialect}") from None
        rows = (await self._run(statement, {"key_id": order_id})).all()
        if not rows:
            return None
        order = mappers.order_from_row_with_lines(rows[0]._mapping)
        attempts = [mappers.prefixed_payment_from_row(row._mapping) for row in rows]
        return order, [payment for payment in attempts if payment is not None]

    async def update(self, order: Order) -> None:
        params = {
            **mappers.order_changes(order),
            "key_id": order.key,
            "read_version": order.version,
        }
        await self._update(_UPDATE_ORDER, params, f"order {order.key}")
        order.version += 1

    async def list(
        self, where: OrderFilter | None = None, *, limit: int = 50
    ) -> builtins.list[Order]:
        statement = order_list_query(_ORDER, where or OrderFilter(), limit)
        rows = (await self._run(statement)).all()
        if not rows:
            return []
        lines: dict[int, builtins.list[mappers.Row]] = {row.id: [] for row in rows}
        for line in await self._run(_SELECT_LINES, {"ids": builtins.list(lines)}):
            lines[line.order_id].append(line._mapping)
        return [mappers.order_from_rows(row._mapping, lines[row.id]) for row in rows]


class SqlAlchemyPaymentRepository(SqlAlchemyRepository):
    """Payment attempts by attempt_id (the order_uid column).

    Remembers the status each attempt had when this transaction read it, so that `update`
    only applies when both the version and the status are still the ones that were read.
    """

    def __init__(self, session: AsyncConnection, *, read_only: bool = False) -> None:
        super().__init__(session, read_only=read_only)
        self._status_read: dict[str, str] = {}

    def _loaded(self, row: mappers.Row) -> Payment:
        payment = mappers.payment_from_row(row)
        self._status_read[payment.attempt_id] = payment.status.value
        return payment

    async def add(self, payment: Payment) -> None:
        try:
            statement = _INSERT_PAYMENT[self._dialect]
        except KeyError:
            raise NotImplementedError(f"unsupported database {self._dialect}") from None
        what = f"payment {payment.attempt_id}"
        result = await self._write(statement, mappers.payment_values(payment), what)
        if result.first() is None:
            # ON CONFLICT DO NOTHING skipped it: the order_uid or gateway reference is taken, or
            # the order already has an open QRIS attempt.
            raise ConcurrentUpdate(f"{what} conflicts with a stored attempt")
        self._status_read[payment.attempt_id] = payment.status.value

    async def get(self, attempt_id: str, *, for_update: bool = False) -> Payment | None:
        statement = _SELECT_PAYMENT_FOR_UPDATE if for_update else _SELECT_PAYMENT
        row = (await self._run(statement, {"key_uid": attempt_id})).first()
        return self._loaded(row._mapping) if row else None

    async def lock_with_order(self, attempt_id: str) -> tuple[Order, Payment] | None:
        rows = (await self._run(_SELECT_LOCKED_WITH_ORDER, {"key_uid": attempt_id})).all()
        if not rows:
            return None
        first = rows[0]._mapping
        payment = self._loaded({name: first[_P + name] for name in mappers.PAYMENT_COLUMNS})
        lines = [
            {name: row._mapping[_L + name] for name in mappers.ORDER_LINE_COLUMNS}
            for row in rows
            if row._mapping[_L + "order_id"] is not None
        ]
        order_row = {name: first[_O + name] for name in mappers.ORDER_COLUMNS}
        return mappers.order_from_rows(order_row, lines), payment

    async def update_with_order(self, payment: Payment, order: Order) -> None:
        status_read = self._status_read.get(payment.attempt_id)
        if self._dialect != "postgresql" or status_read is None:
            await self.update(payment)
            await SqlAlchemyOrderRepository(self._session).update(order)
            return
        params = {
            **{_P + name: value for name, value in mappers.payment_changes(payment).items()},
            **{_O + name: value for name, value in mappers.order_changes(order).items()},
            "p_key_uid": payment.attempt_id,
            "p_read_version": payment.version,
            "p_read_status": status_read,
            "o_key_id": order.key,
            "o_read_version": order.version,
        }
        row = (await self._write(_UPDATE_WITH_ORDER, params, "payment")).first()
        if row is None:
            raise ConcurrentUpdate(f"payment {payment.attempt_id} changed since it was read")
        if row[0] != 1:
            raise ConcurrentUpdate(f"order {order.key} changed since it was read")
        payment.version += 1
        order.version += 1
        self._status_read[payment.attempt_id] = payment.status.value

    async def update(self, payment: Payment) -> None:
        params = {
            **mappers.payment_changes(payment),
            "key_uid": payment.attempt_id,
            "read_version": payment.version,
        }
        status_read = self._status_read.get(payment.attempt_id)
        statement = _UPDATE_PAYMENT
        if status_read is not None:
            statement = _UPDATE_PAYMENT_IN_STATUS
            params["read_status"] = status_read
        await self._update(statement, params, f"payment {payment.attempt_id}")
        payment.version += 1
        self._status_read[payment.attempt_id] = payment.status.value

    async def _many(self, statement: Executable, params: Mapping[str, Any]) -> list[Payment]:
        return [self._loaded(row._mapping) for row in await self._run(statement, params)]

    async def list_for_order(self, order_id: int) -> list[Payment]:
        return await self._many(_SELECT_PAYMENTS_OF_ORDER, {"order_id": order_id})

    async def find_open_qris(self, order_id: int) -> Payment | None:
        found = await self._many(_SELECT_OPEN_QRIS, {"order_id": order_id})
        return found[0] if found else None

    async def list_stale_creating(self, *, created_before: datetime, limit: int) -> list[Payment]:
        statement = _SELECT_STALE_CREATING.limit(limit)
        return await self._many(statement, {"created_before": created_before})

    async def list_refunds(self, *, open_only: bool = True, limit: int = 100) -> list[Payment]:
        statement = _SELECT_OPEN_REFUNDS if open_only else _SELECT_FLAGGED_REFUNDS
        return await self._many(statement.limit(limit), {})

    async def claim_status_check(
        self, attempt_id: str, *, now: datetime, min_interval: timedelta
    ) -> bool:
        """One conditional UPDATE of `status_checked_at`: a racing caller matches no row once
        the winner's write is visible (SQLite: serialized writers; PostgreSQL: the row lock,
        then the WHERE re-checked on the committed row). Neither the version nor the status
        changes, so it never makes a use case's update fail."""
        self._writable()
        result = await self._run(CLAIM_STATUS_CHECK, claim_params(attempt_id, now, min_interval))
        return cast(CursorResult[Any], result).rowcount == 1

    async def flag_for_review(
        self, attempt_id: str, *, reason: str, now: datetime, next_check_at: datetime | None
    ) -> None:
        """Writes the review and schedule columns only, as `claim_status_check` does."""
        params = {
            "key_uid": attempt_id,
            "now": now,
            "reason": reason,
            "next_check_at": next_check_at,
        }
        await self._write(_FLAG_FOR_REVIEW, params, f"payment {attempt_id}")

    async def resolve_review(self, attempt_id: str, *, by: str, note: str, now: datetime) -> bool:
        """One conditional UPDATE: of two staff members resolving at once, one wins."""
        params = {"key_uid": attempt_id, "now": now, "by": by, "note": note}
        result = await self._write(_RESOLVE_REVIEW, params, f"payment {attempt_id}")
        return cast(CursorResult[Any], result).rowcount == 1
