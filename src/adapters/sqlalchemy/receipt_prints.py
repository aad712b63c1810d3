"""Receipt print counts (application.ports.ReceiptPrints): one atomic upsert per print.

`INSERT ... ON CONFLICT (order_id) DO UPDATE SET print_count = print_count + 1 RETURNING
print_count` in a short write transaction of its own: two racing prints of one order get the
numbers 1 and 2 (PostgreSQL locks the row it updates; SQLite writers are serialized by BEGIN
IMMEDIATE), never both 1.
"""

from datetime import datetime

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite

from adapters.sqlalchemy.tables_reports import receipt_prints
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory


def _upsert(statement: postgresql.Insert | sqlite.Insert) -> Insert:
    return statement.on_conflict_do_update(
        index_elements=[receipt_prints.c.order_id],
        set_={
            "print_count": receipt_prints.c.print_count + 1,
            "last_printed_at": statement.excluded.last_printed_at,
        },
    ).returning(receipt_prints.c.print_count)


_RECORD_PRINT = {
    "postgresql": _upsert(postgresql.insert(receipt_prints)),
    "sqlite": _upsert(sqlite.insert(receipt_prints)),
}


class SqlAlchemyReceiptPrints:
    """Counts the receipts issued per order in the `receipt_prints` table."""

    def __init__(self, uow: SqlAlchemyUnitOfWorkFactory) -> None:
        self._uow = uow

    async def record_print(self, order_id: int, *, now: datetime) -> int:
        async with self._uow() as uow:
            statement = _RECORD_PRINT[uow.session.dialect.name]
            values = {
                "order_id": order_id,
                "print_count": 1,
                "first_printed_at": now,
                "last_printed_at": now,
            }
            number = int((await uow.session.execute(statement, values)).scalar_one())
            await uow.commit()
        return number
