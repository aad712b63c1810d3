"""The audit log: every staff action that touches money or access, append-only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

- `audit_log`: who (`actor_id`, `actor_name`), what (`action`, a dotted code), to what
  (`subject`), when (`at`), and the changed fields before and after. kasir has no statement
  that updates or deletes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=False),
        sa.Column("actor_name", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    for name, columns in (
        ("ix_audit_log_at", ["at"]),
        ("ix_audit_log_actor_id_id", ["actor_id", "id"]),
        ("ix_audit_log_action_id", ["action", "id"]),
        ("ix_audit_log_subject_id", ["subject", "id"]),
    ):
        op.create_index(name, "audit_log", columns)


def downgrade() -> None:
    op.drop_table("audit_log")
