"""The staff order list's filter and sort over plain objects (application.reports.OrderFilter),
as the SQL order repository runs them in a query."""

from collections.abc import Iterable, Mapping

from application.reports import OrderFilter
from domain.orders import Order
from domain.payments import Payment
from domain.shifts import Shift


def list_orders(
    orders: Iterable[Order],
    payments: Mapping[str, Payment],
    shifts: Mapping[int, Shift],
    where: OrderFilter,
    limit: int,
) -> list[Order]:
    """The orders matching `where`, by (placed_at, id) descending, at most `limit`.

    `payments` holds the attempts by attempt_id: an order's paying attempt is the one its
    `paid_by_attempt` names; `shifts` the drawer shifts by id (a cash payment's `shift_id`).
    """

    def cashier_of(paid_by: Payment | None) -> str | None:
        shift = shifts.get(paid_by.shift_id) if paid_by and paid_by.shift_id else None
        return shift.staff_id if shift else None

    chosen = []
    for order in orders:
        paid_by = payments.get(order.paid_by_attempt or "")
        if _matches(order, paid_by, cashier_of(paid_by), where):
            chosen.append(order)
    chosen.sort(key=lambda order: (order.placed_at, order.key), reverse=True)
    return chosen[: max(0, limit)]


def _matches(
    order: Order, paid_by: Payment | None, cashier: str | None, where: OrderFilter
) -> bool:
    after = where.after
    conditions = (
        where.status is None or order.status is where.status,
        where.method is None or (paid_by is not None and paid_by.method is where.method),
        where.cashier is None or cashier == where.cashier,
        where.placed_from is None or order.placed_at >= where.placed_from,
        where.placed_before is None or order.placed_at < where.placed_before,
        where.table_number is None or order.table_number == where.table_number,
        where.before_id is None or order.key < where.before_id,
        after is None or (order.placed_at, order.key) < (after.placed_at, after.order_id),
    )
    return all(conditions)
