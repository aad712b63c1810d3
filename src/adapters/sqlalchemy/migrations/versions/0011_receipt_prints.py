"""Receipt prints, and the indexes of the day report and the staff order list.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

- `receipt_prints`: how many times each order's receipt was issued (the first is the original,
  later ones are reprints), with the first and last time.
- `ix_orders_placed_at_id`: the order list sorts and pages by (placed_at, id); with
  `ix_orders_paid_at` and `ix_orders_cancelled_at` the day report counts a day's orders.
- `ix_payments_paid_at`, `ix_payments_refund_resolved_at`, `ix_refunds_decided_at`: the day
  report sums money by when it was received and when it was given back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "receipt_prints",
        sa.Column("order_id", ID, nullable=False),
        sa.Column("print_count", sa.Integer(), nullable=False),
        sa.Column("first_printed_at", INSTANT, nullable=False),
        sa.Column("last_printed_at", INSTANT, nullable=False),
        sa.CheckConstraint("print_count >= 1", name=op.f("ck_receipt_prints_print_count_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_receipt_prints_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_receipt_prints")),
    )
    op.create_index("ix_orders_placed_at_id", "orders", ["placed_at", "id"])
    op.create_index("ix_orders_paid_at", "orders", ["paid_at"])
    op.create_index("ix_orders_cancelled_at", "orders", ["cancelled_at"])
    op.create_index("ix_payments_paid_at", "payments", ["paid_at"])
    op.create_index("ix_payments_refund_resolved_at", "payments", ["refund_resolved_at"])
    op.create_index("ix_refunds_decided_at", "refunds", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_refunds_decided_at", table_name="refunds")
    op.drop_index("ix_payments_refund_resolved_at", table_name="payments")
    op.drop_index("ix_payments_paid_at", table_name="payments")
    op.drop_index("ix_orders_cancelled_at", table_name="orders")
    op.drop_index("ix_orders_paid_at", table_name="orders")
    op.drop_index("ix_orders_placed_at_id", table_name="orders")
    op.drop_table("receipt_prints")
