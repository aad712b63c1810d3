"""Notification inbox, and the time of the last gateway status check of each payment.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
VERIFICATIONS = (
    "verification IN ('invalid', 'received', 'rejected', 'source_not_allowed', 'verified')"
)


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (no batch copy of the table on SQLite, which would
    # not carry its CHECK constraints over).
    op.add_column("payments", sa.Column("status_checked_at", INSTANT, nullable=True))
    op.create_table(
        "notification_inbox",
        sa.Column("id", ID, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("source_address", sa.Text(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("order_uid", sa.Text(), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("verification", sa.String(length=32), nullable=False),
        sa.Column("signature_scheme", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("processed_at", INSTANT, nullable=True),
        sa.Column("needs_review", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("reviewed_at", INSTANT, nullable=True),
        sa.Column("reviewed_by", sa.Text(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("personal_data_removed_at", INSTANT, nullable=True),
        sa.CheckConstraint(VERIFICATIONS, name=op.f("ck_notification_inbox_verification_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_inbox")),
    )
    op.create_index("ix_notification_inbox_order_uid", "notification_inbox", ["order_uid"])
    op.create_index("ix_notification_inbox_received_at", "notification_inbox", ["received_at"])
    op.create_index(
        "ix_notification_inbox_needs_review_id", "notification_inbox", ["needs_review", "id"]
    )


def downgrade() -> None:
    op.drop_table("notification_inbox")
    op.drop_column("payments", "status_checked_at")  # SQLite 3.35+ drops columns natively
