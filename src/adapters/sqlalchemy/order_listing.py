"""The staff order list as one query (application.reports.OrderFilter).

Sorted by (placed_at, id) descending, a total order; a page continues after the previous
page's last order with a row-value comparison written out as `placed_at < t OR (placed_at = t
AND id < n)`, which both SQLite and PostgreSQL answer from the (placed_at, id) index. The
payment method is that of the attempt that paid the order (`orders.paid_by`); the cashier is
the staff member whose shift's drawer that cash went into (`payments.shift_id`).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from adapters.sqlalchemy.tables import orders, payments
from adapters.sqlalchemy.tables_drawer import shifts
from application.reports import OrderFilter


def order_list_query(
    columns: Sequence[ColumnElement[Any]], where: OrderFilter, limit: int
) -> Select[Any]:
    """SELECT `columns` of the orders matching `where`, newest first, at most `limit`."""
    statement = select(*columns)
    if where.method is not None or where.cashier is not None:
        statement = statement.join(payments, payments.c.order_uid == orders.c.paid_by)
        if where.method is not None:
            statement = statement.where(payments.c.method == where.method.value)
        if where.cashier is not None:
            statement = statement.join(shifts, shifts.c.id == payments.c.shift_id).where(
                shifts.c.staff_id == where.cashier
            )
    if where.status is not None:
        statement = statement.where(orders.c.status == where.status.value)
    if where.placed_from is not None:
        statement = statement.where(orders.c.placed_at >= where.placed_from)
    if where.placed_before is not None:
        statement = statement.where(orders.c.placed_at < where.placed_before)
    if where.table_number is not None:
        statement = statement.where(orders.c.table_number == where.table_number)
    if where.before_id is not None:
        statement = statement.where(orders.c.id < where.before_id)
    if where.after is not None:
        placed_at, order_id = where.after.placed_at, where.after.order_id
        statement = statement.where(
            or_(
                orders.c.placed_at < placed_at,
                and_(orders.c.placed_at == placed_at, orders.c.id < order_id),
            )
        )
    return statement.order_by(orders.c.placed_at.desc(), orders.c.id.desc()).limit(limit)
