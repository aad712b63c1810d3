"""The day report's figures as aggregate queries (application.ports.ReportQueries).

A few statements in one read transaction, each a `GROUP BY` or a count over an index range,
so the work grows with the day's rows and never loads an order. What each figure counts is
in application.reports.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ScalarSelect,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from adapters.sqlalchemy.tables import orders, payments
from adapters.sqlalchemy.tables_drawer import refunds, shifts
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.reports import DayTotals, MoneyTotals, OrderCounts, ShiftTotals
from domain.payments import ClosedReason, PaymentMethod, PaymentStatus
from domain.refunds import RefundStatus

_START: BindParameter[datetime] = bindparam("start")
_END: BindParameter[datetime] = bindparam("end")


def _within(column: ColumnElement[datetime]) -> ColumnElement[bool]:
    return and_(column >= _START, column < _END)


def _orders_within(column: ColumnElement[datetime]) -> ScalarSelect[int]:
    return select(func.count()).select_from(orders).where(_within(column)).scalar_subquery()


# Three counts, each over its own index range (ix_orders_placed_at_id, ix_orders_paid_at,
# ix_orders_cancelled_at), so the day's work never scans the whole table.
_ORDER_COUNTS = select(
    _orders_within(orders.c.placed_at).label("placed"),
    _orders_within(orders.c.paid_at).label("paid"),
    _orders_within(orders.c.cancelled_at).label("cancelled"),
)

_APPROVED = and_(refunds.c.status == RefundStatus.APPROVED.value, _within(refunds.c.decided_at))
_CASH_IN = and_(
    payments.c.method == PaymentMethod.CASH.value,
    payments.c.status == PaymentStatus.SUCCEEDED.value,
    _within(payments.c.paid_at),
)


def _money(key: ColumnElement[Any], direction: str) -> Sequence[ColumnElement[Any]]:
    return (key, func.count(), literal(direction).label("direction"))


# Money received: succeeded payments when paid, and a QR paid with another amount (failed,
# amount_mismatch) when kasir learned it, with the amount the gateway received.
_RECEIVED: Select[Any] = (
    select(*_money(payments.c.method, "in"), func.sum(payments.c.amount))
    .where(payments.c.status == PaymentStatus.SUCCEEDED.value, _within(payments.c.paid_at))
    .group_by(payments.c.method)
)
_RECEIVED_OTHER_AMOUNT: Select[Any] = (
    select(*_money(payments.c.method, "in"), func.sum(payments.c.amount_received))
    .where(
        payments.c.closed_reason == ClosedReason.AMOUNT_MISMATCH.value,
        _within(payments.c.refund_required_at),
    )
    .group_by(payments.c.method)
)
# Money given back: refunds approved in the range, by the method the money came in with.
_REFUNDED: Select[Any] = (
    select(*_money(refunds.c.method, "out"), func.sum(refunds.c.amount))
    .where(_APPROVED)
    .group_by(refunds.c.method)
)
# Flags staff resolved on the payment itself, before refund requests existed (migration 0008
# turned only the open ones into requests; approving a request resolves its flag too, so a
# flag with a request is counted by the request).
_RESOLVED_FLAGS: Select[Any] = (
    select(
        *_money(payments.c.method, "out"),
        func.sum(func.coalesce(payments.c.amount_received, payments.c.amount)),
    )
    .where(
        payments.c.refund_required_at.is_not(None),
        _within(payments.c.refund_resolved_at),
        ~exists().where(refunds.c.payment_uid == payments.c.order_uid, refunds.c.flagged.is_(True)),
    )
    .group_by(payments.c.method)
)
_MONEY = union_all(_RECEIVED, _RECEIVED_OTHER_AMOUNT, _REFUNDED, _RESOLVED_FLAGS)

# The cash through each drawer: cash payments into it and cash refunds out of it.
_SHIFT_MONEY = union_all(
    select(*_money(payments.c.shift_id, "in"), func.sum(payments.c.amount))
    .where(_CASH_IN, payments.c.shift_id.is_not(None))
    .group_by(payments.c.shift_id),
    select(*_money(refunds.c.shift_id, "out"), func.sum(refunds.c.amount))
    .where(_APPROVED, refunds.c.shift_id.is_not(None))
    .group_by(refunds.c.shift_id),
)
# Every shift open at some moment of the range, whether or not cash moved.
_SHIFTS = (
    select(
        shifts.c.id,
        shifts.c.staff_id,
        shifts.c.staff_name,
        shifts.c.opened_at,
        shifts.c.closed_at,
    )
    .where(
        shifts.c.opened_at < _END,
        or_(shifts.c.closed_at.is_(None), shifts.c.closed_at >= _START),
    )
    .order_by(shifts.c.opened_at, shifts.c.id)
)


def _totals(count: int, summed: Any, direction: str) -> MoneyTotals:
    # PostgreSQL sums BIGINT as NUMERIC (a Decimal): money leaves here as int.
    how_many, amount = int(count), int(summed)
    if direction == "in":
        return MoneyTotals(payments=how_many, gross=amount)
    return MoneyTotals(refunds=how_many, refunded=amount)


class SqlAlchemyReportQueries:
    """Report figures read in one read-only transaction of its own."""

    def __init__(self, uow: SqlAlchemyUnitOfWorkFactory) -> None:
        self._uow = uow

    async def day_totals(self, *, start: datetime, end: datetime) -> DayTotals:
        params = {"start": start, "end": end}
        async with self._uow(read_only=True) as uow:
            counts = (await uow.session.execute(_ORDER_COUNTS, params)).one()
            money = (await uow.session.execute(_MONEY, params)).all()
            shift_money = (await uow.session.execute(_SHIFT_MONEY, params)).all()
            open_shifts = (await uow.session.execute(_SHIFTS, params)).all()
        by_method: dict[PaymentMethod, MoneyTotals] = {}
        for method, count, direction, summed in money:
            key = PaymentMethod(method)
            by_method[key] = by_method.get(key, MoneyTotals()) + _totals(count, summed, direction)
        cash: dict[int, MoneyTotals] = {}
        for shift_id, count, direction, summed in shift_money:
            cash[shift_id] = cash.get(shift_id, MoneyTotals()) + _totals(count, summed, direction)
        return DayTotals(
            orders=OrderCounts(
                placed=int(counts.placed), paid=int(counts.paid), cancelled=int(counts.cancelled)
            ),
            by_method=by_method,
            shifts=tuple(
                ShiftTotals(
                    shift_id=row.id,
                    staff_id=row.staff_id,
                    staff_name=row.staff_name,
                    opened_at=row.opened_at,
                    closed_at=row.closed_at,
                    cash=cash.get(row.id, MoneyTotals()),
                )
                for row in open_shifts
            ),
        )
