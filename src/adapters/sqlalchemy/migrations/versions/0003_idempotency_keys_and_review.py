"""Idempotency keys, and the reconciliation job's review flag on payments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

The payments lease columns (`lease_owner`, `lease_until`, `next_check_at`, `check_count`) exist
since 0001; the reconciliation job starts using them with this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (no batch copy of the table on SQLite, which would
    # not carry its CHECK constraints over).
    op.add_column("payments", sa.Column("review_required_at", INSTANT, nullable=True))
    op.add_column("payments", sa.Column("review_reason", sa.Text(), nullable=True))
    op.create_table(
        "idempotency_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", INSTANT, nullable=True),
        sa.Column("response_status", sa.SmallInteger(), nullable=True),
        sa.Column("response_content_type", sa.Text(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("completed_at", INSTANT, nullable=True),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            "response_status IS NULL OR response_status BETWEEN 100 AND 599",
            name=op.f("ck_idempotency_keys_response_status_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "scope", "idempotency_key", name=op.f("uq_idempotency_keys_scope_idempotency_key")
        ),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_column("payments", "review_reason")  # SQLite 3.35+ drops columns natively
    op.drop_column("payments", "review_required_at")
