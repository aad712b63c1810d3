"""The day report's figures as aggregate queries (application.ports.ReportQueries).

Three statements in one read transaction, each a `GROUP BY` or a sum over an index range, so
the work grows with the day's rows and never loads an order. What each figure counts is in
application.reports.
"""

from datetime import datetime

from sqlalchemy import ScalarSelect, Select, and_, bindparam, func, literal, select, union_all
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from adapters.sqlalchemy.tables import orders, payments
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.reports import DayTotals, MoneyTotals, OrderCounts
from domain.payments import ClosedReason, PaymentMethod, PaymentStatus

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
        for method, count, summed, direction in money:
            # PostgreSQL sums BIGINT as NUMERIC (a Decimal): money leaves here as int.
            how_many, amount = int(count), int(summed)
            add = (
                MoneyTotals(payments=how_many, gross=amount)
                if direction == "in"
                else MoneyTotals(refunds=how_many, refunded=amount)
            )
            key = PaymentMethod(method)
            by_method[key] = by_method.get(key, MoneyTotals()) + add
        return DayTotals(
            orders=OrderCounts(
                placed=int(counts.placed), paid=int(counts.paid), cancelled=int(counts.cancelled)
            ),
            by_method=by_method,
        )
