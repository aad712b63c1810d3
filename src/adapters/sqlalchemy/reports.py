"""The day report's figures as aggregate queries (application.ports.ReportQueries).

Three statements in one read transaction, each a `GROUP BY` or a sum over an index range, so
the work grows with the day's rows and never loads an order. What each figure counts is in
application.reports.
"""

from datetime import datetime

from sqlalchemy import Select, and_, bindparam, case, func, literal, select, union_all
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from adapters.sqlalchemy.tables import orders, payments
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.reports import DayTotals, MoneyTotals, OrderCounts
from domain.payments import ClosedReason, PaymentMethod, PaymentStatus

_START: BindParameter[datetime] = bindparam("start")
_END: BindParameter[datetime] = bindparam("end")


def _within(column: ColumnElement[datetime]) -> ColumnElement[bool]:
    return and_(column >= _START, column < _END)


def _count_within(column: ColumnElement[datetime]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((_within(column), 1), else_=0)), 0)


_ORDER_COUNTS = select(
    _count_within(orders.c.placed_at).label("placed"),
    _count_within(orders.c.paid_at).label("paid"),
    _count_within(orders.c.cancelled_at).label("cancelled"),
).where(
    # Each branch can use an index (placed_at) or is bounded by the day's rows.
    _within(orders.c.placed_at) | _within(orders.c.paid_at) | _within(orders.c.cancelled_at)
)

# Money received: succeeded payments when paid, and a QR paid with another amount (failed,
# amount_mismatch) when kasir learned it, with the amount the gateway received.
_RECEIVED: Select[tuple[str, int, int]] = (
    select(payments.c.method, func.count(), func.sum(payments.c.amount))
    .where(payments.c.status == PaymentStatus.SUCCEEDED.value, _within(payments.c.paid_at))
    .group_by(payments.c.method)
)
_RECEIVED_OTHER_AMOUNT: Select[tuple[str, int, int]] = (
    select(payments.c.method, func.count(), func.sum(payments.c.amount_received))
    .where(
        payments.c.closed_reason == ClosedReason.AMOUNT_MISMATCH.value,
        _within(payments.c.refund_required_at),
    )
    .group_by(payments.c.method)
)
# Money given back: refunds staff resolved in the range, by the method it came in with.
_REFUNDED: Select[tuple[str, int, int]] = (
    select(
        payments.c.method,
        func.count(),
        func.sum(func.coalesce(payments.c.amount_received, payments.c.amount)),
    )
    .where(payments.c.refund_required_at.is_not(None), _within(payments.c.refund_resolved_at))
    .group_by(payments.c.method)
)
_MONEY = union_all(
    _RECEIVED.add_columns(literal("in").label("direction")),
    _RECEIVED_OTHER_AMOUNT.add_columns(literal("in").label("direction")),
    _REFUNDED.add_columns(literal("out").label("direction")),
)


class SqlAlchemyReportQueries:
    """Report figures read in one read-only transaction of its own."""

    def __init__(self, uow: SqlAlchemyUnitOfWorkFactory) -> None:
        self._uow = uow

    async def day_totals(self, *, start: datetime, end: datetime) -> DayTotals:
        params = {"start": start, "end": end}
        async with self._uow(read_only=True) as uow:
            counts = (await uow.session.execute(_ORDER_COUNTS, params)).one()
            money = (await uow.session.execute(_MONEY, params)).all()
        by_method: dict[PaymentMethod, MoneyTotals] = {}
        for method, count, amount, direction in money:
            add = (
                MoneyTotals(payments=count, gross=amount)
                if direction == "in"
                else MoneyTotals(refunds=count, refunded=amount)
            )
            key = PaymentMethod(method)
            by_method[key] = by_method.get(key, MoneyTotals()) + add
        return DayTotals(
            orders=OrderCounts(
                placed=int(counts.placed), paid=int(counts.paid), cancelled=int(counts.cancelled)
            ),
            by_method=by_method,
        )
