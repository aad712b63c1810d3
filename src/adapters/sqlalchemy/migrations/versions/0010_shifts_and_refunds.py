"""Cash drawer shifts, refund requests, and void reasons.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

- `shifts`, `shift_cash_movements`, `refunds`: new tables (adapters/sqlalchemy/tables_drawer.py,
  docs/drawer.md). One open shift per staff member (partial unique index); a closed shift's
  row never changes again (trigger `trg_shifts_closed_never_change`, on both databases).
- `orders.cancel_reason`: why staff voided the order. `orders.refund_reserved`: what requested
  and approved refunds reserve of the total, CHECK 0 <= refund_reserved <= total (and only on a
  paid order).
- `payments.shift_id`: the shift a cash payment went into (NULL for cash taken before). Not a
  foreign key: SQLite cannot add a named one to an existing table without copying it (which
  would drop its CHECKs); kasir has no path that deletes a shift.
- Every refund kasir had flagged on a payment and nobody resolved yet becomes a pending refund
  request of the system, so that it is approved through the same workflow.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REFUND_RESERVED_IN_RANGE = (
    "refund_reserved >= 0 AND refund_reserved <= total AND (refund_reserved = 0 OR status = 'paid')"
)
SHIFT_ONLY_FOR_CASH = "shift_id IS NULL OR method = 'cash'"
CLOSED_SHIFT_MESSAGE = "a closed shift never changes"


def upgrade() -> None:
    _create_shifts()
    op.create_table(
        "shift_cash_movements",
        sa.Column("id", ID, nullable=False),
        sa.Column("shift_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.String(length=255), nullable=False),
        sa.Column("staff_name", sa.Text(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_shift_cash_movements_amount_positive")),
        sa.CheckConstraint(
            "kind IN ('paid_in', 'paid_out')", name=op.f("ck_shift_cash_movements_kind_valid")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name="fk_shift_cash_movements_shift_id_shifts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shift_cash_movements"),
    )
    op.create_index("ix_shift_cash_movements_shift_id", "shift_cash_movements", ["shift_id"])
    _add_order_and_payment_columns()
    _create_refunds()
    _backfill_flagged_refunds()
    _install_closed_shift_trigger()


def _create_shifts() -> None:
    op.create_table(
        "shifts",
        sa.Column("id", ID, nullable=False),
        sa.Column("staff_id", sa.String(length=255), nullable=False),
        sa.Column("staff_name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opening_float", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", INSTANT, nullable=False),
        *[
            sa.Column(name, kind, server_default=sa.text("0"), nullable=False)
            for name, kind in (
                ("cash_payments", sa.BigInteger()),
                ("cash_payments_count", sa.Integer()),
                ("cash_refunds", sa.BigInteger()),
                ("cash_refunds_count", sa.Integer()),
                ("paid_in", sa.BigInteger()),
                ("paid_out", sa.BigInteger()),
            )
        ],
        sa.Column("closed_at", INSTANT, nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.Column("closed_by_name", sa.Text(), nullable=True),
        sa.Column("force_closed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("counted_cash", sa.BigInteger(), nullable=True),
        sa.Column("expected_at_close", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "(status = 'open' AND closed_at IS NULL AND counted_cash IS NULL "
            "AND expected_at_close IS NULL) OR (status = 'closed' AND closed_at IS NOT NULL "
            "AND counted_cash IS NOT NULL AND expected_at_close IS NOT NULL)",
            name=op.f("ck_shifts_closed_complete"),
        ),
        sa.CheckConstraint(
            "cash_payments_count >= 0 AND cash_refunds_count >= 0",
            name=op.f("ck_shifts_counts_not_negative"),
        ),
        sa.CheckConstraint("counted_cash >= 0", name=op.f("ck_shifts_counted_cash_not_negative")),
        sa.CheckConstraint(
            "status = 'open' OR expected_at_close = "
            "opening_float + cash_payments - cash_refunds + paid_in - paid_out",
            name=op.f("ck_shifts_expected_at_close"),
        ),
        sa.CheckConstraint(
            "opening_float >= 0 AND cash_payments >= 0 AND cash_refunds >= 0 "
            "AND paid_in >= 0 AND paid_out >= 0",
            name=op.f("ck_shifts_money_not_negative"),
        ),
        sa.CheckConstraint("status IN ('closed', 'open')", name=op.f("ck_shifts_status_valid")),
        sa.CheckConstraint("version >= 0", name=op.f("ck_shifts_version_not_negative")),
        sa.PrimaryKeyConstraint("id", name="pk_shifts"),
    )
    op.create_index("ix_shifts_opened_at", "shifts", ["opened_at"])
    op.create_index(
        "uq_shifts_open_per_staff",
        "shifts",
        ["staff_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def _add_order_and_payment_columns() -> None:
    op.add_column("orders", sa.Column("cancel_reason", sa.Text(), nullable=True))
    if op.get_context().dialect.name == "sqlite":
        # SQLite adds a column with its constraints inline, never a constraint on its own;
        # a batch copy of the table would drop the CHECKs it already has.
        op.execute(
            "ALTER TABLE orders ADD COLUMN refund_reserved BIGINT DEFAULT 0 NOT NULL "
            f"CONSTRAINT ck_orders_refund_reserved_in_range CHECK ({REFUND_RESERVED_IN_RANGE})"
        )
        op.execute(
            "ALTER TABLE payments ADD COLUMN shift_id INTEGER "
            f"CONSTRAINT ck_payments_shift_only_for_cash CHECK ({SHIFT_ONLY_FOR_CASH})"
        )
    else:
        op.add_column(
            "orders",
            sa.Column(
                "refund_reserved", sa.BigInteger(), server_default=sa.text("0"), nullable=False
            ),
        )
        op.create_check_constraint(
            op.f("ck_orders_refund_reserved_in_range"), "orders", REFUND_RESERVED_IN_RANGE
        )
        op.add_column("payments", sa.Column("shift_id", sa.BigInteger(), nullable=True))
        op.create_check_constraint(
            op.f("ck_payments_shift_only_for_cash"), "payments", SHIFT_ONLY_FOR_CASH
        )
    op.create_index("ix_payments_shift_id", "payments", ["shift_id"])


def _create_refunds() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("payment_uid", sa.String(length=50), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_by_name", sa.Text(), nullable=False),
        sa.Column("requested_at", INSTANT, nullable=False),
        sa.Column("flagged", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_by_name", sa.Text(), nullable=True),
        sa.Column("decided_at", INSTANT, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("shift_id", ID, nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.CheckConstraint(
            "status <> 'approved' OR (method = 'cash' AND shift_id IS NOT NULL) "
            "OR (method = 'qris' AND reference IS NOT NULL)",
            name=op.f("ck_refunds_approved_is_made"),
        ),
        sa.CheckConstraint(
            "(status = 'requested') = (decided_at IS NULL)",
            name=op.f("ck_refunds_decided_unless_requested"),
        ),
        sa.CheckConstraint("method IN ('cash', 'qris')", name=op.f("ck_refunds_method_valid")),
        sa.CheckConstraint(
            "status IN ('approved', 'rejected', 'requested')", name=op.f("ck_refunds_status_valid")
        ),
        sa.CheckConstraint("version >= 0", name=op.f("ck_refunds_version_not_negative")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_refunds_order_id_orders"),
        sa.ForeignKeyConstraint(
            ["payment_uid"], ["payments.order_uid"], name="fk_refunds_payment_uid_payments"
        ),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name="fk_refunds_shift_id_shifts"),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
    )
    op.create_index("ix_refunds_order_id", "refunds", ["order_id"])
    op.create_index("ix_refunds_shift_id", "refunds", ["shift_id"])
    op.create_index("ix_refunds_status_id", "refunds", ["status", "id"])
    op.create_index(
        "uq_refunds_flagged_payment",
        "refunds",
        ["payment_uid"],
        unique=True,
        sqlite_where=sa.text("flagged"),
        postgresql_where=sa.text("flagged"),
    )


def _backfill_flagged_refunds() -> None:
    op.execute(
        "INSERT INTO refunds (order_id, payment_uid, method, amount, lines, reason, "
        "requested_by, requested_by_name, requested_at, flagged, status, version) "
        "SELECT order_id, order_uid, method, COALESCE(amount_received, amount), '[]', "
        "COALESCE(refund_reason, 'money kasir could not use for its order'), "
        "'system:kasir', 'kasir', refund_required_at, true, 'requested', 0 "
        "FROM payments WHERE refund_required_at IS NOT NULL AND refund_resolved_at IS NULL "
        "ORDER BY refund_required_at, id"
    )


def _install_closed_shift_trigger() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER trg_shifts_closed_never_change "
            "BEFORE UPDATE ON shifts WHEN OLD.status = 'closed' "
            f"BEGIN SELECT RAISE(ABORT, '{CLOSED_SHIFT_MESSAGE}'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION kasir_refuse_closed_shift_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{CLOSED_SHIFT_MESSAGE}' "
        "USING ERRCODE = 'integrity_constraint_violation'; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER trg_shifts_closed_never_change BEFORE UPDATE ON shifts "
        "FOR EACH ROW WHEN (OLD.status = 'closed') "
        "EXECUTE FUNCTION kasir_refuse_closed_shift_change()"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_shifts_closed_never_change")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_shifts_closed_never_change ON shifts")
        op.execute("DROP FUNCTION IF EXISTS kasir_refuse_closed_shift_change()")
    op.drop_table("refunds")
    op.drop_index("ix_payments_shift_id", table_name="payments")
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint("ck_payments_shift_only_for_cash", "payments", type_="check")
        op.drop_constraint("ck_orders_refund_reserved_in_range", "orders", type_="check")
    # SQLite 3.35+ drops a column natively, with the CHECK declared on that column.
    op.drop_column("payments", "shift_id")
    op.drop_column("orders", "refund_reserved")
    op.drop_column("orders", "cancel_reason")
    op.drop_table("shift_cash_movements")
    op.drop_table("shifts")
