"""Amount mismatches close an attempt; staff resolve reviews; refused status checks are counted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

- `closed_reason`, `amount_received`: an attempt the gateway reports paid with another amount
  is closed with `closed_reason = 'amount_mismatch'` and the amount received (a refund to make).
- `review_resolved_at`, `review_resolved_by`, `review_note`: a staff member dismissed or
  resolved a payment listed for review, with a note.
- `rejected_check_count`: status checks the gateway refused in a row; a few of them hand the
  attempt to staff instead of retrying forever.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (no batch copy of the table on SQLite, which would
    # not carry its CHECK constraints over).
    op.add_column("payments", sa.Column("closed_reason", sa.String(length=32), nullable=True))
    op.add_column("payments", sa.Column("amount_received", sa.BigInteger(), nullable=True))
    op.add_column("payments", sa.Column("review_resolved_at", INSTANT, nullable=True))
    op.add_column("payments", sa.Column("review_resolved_by", sa.Text(), nullable=True))
    op.add_column("payments", sa.Column("review_note", sa.Text(), nullable=True))
    op.add_column(
        "payments",
        sa.Column(
            "rejected_check_count", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
    )


def downgrade() -> None:
    # SQLite 3.35+ drops columns natively.
    for column in (
        "rejected_check_count",
        "review_note",
        "review_resolved_by",
        "review_resolved_at",
        "amount_received",
        "closed_reason",
    ):
        op.drop_column("payments", column)
