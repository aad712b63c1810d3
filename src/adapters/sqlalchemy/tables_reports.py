"""Tables and indexes of the receipts and reports (migration 0011), on the shared metadata.

- `receipt_prints`: how many times each order's receipt was issued; the first is the original,
  every later one is marked as a reprint. One row per order, incremented atomically.
- Indexes for the read side: the staff order list sorts by (placed_at, id); the day report
  counts orders by when they were placed, paid and cancelled, and sums payments by when they
  were paid and refunds by when they were approved (given back).
"""

from datetime import datetime
from typing import cast

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Table
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sqlalchemy.column_types import BigIntegerId, UTCDateTime
from adapters.sqlalchemy.tables import Base, orders, payments
from adapters.sqlalchemy.tables_drawer import refunds


class ReceiptPrintRow(Base):
    __tablename__ = "receipt_prints"
    __table_args__ = (CheckConstraint("print_count >= 1", name="print_count_positive"),)

    order_id: Mapped[int] = mapped_column(
        BigIntegerId, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    print_count: Mapped[int] = mapped_column(Integer)
    first_printed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_printed_at: Mapped[datetime] = mapped_column(UTCDateTime)


receipt_prints = cast(Table, ReceiptPrintRow.__table__)

# Declared on the existing tables here, so the migration that adds them owns them.
Index("ix_orders_placed_at_id", orders.c.placed_at, orders.c.id)
Index("ix_orders_paid_at", orders.c.paid_at)
Index("ix_orders_cancelled_at", orders.c.cancelled_at)
Index("ix_payments_paid_at", payments.c.paid_at)
Index("ix_payments_refund_resolved_at", payments.c.refund_resolved_at)
Index("ix_refunds_decided_at", refunds.c.decided_at)
