"""Every payment attempt records the name of the gateway that issued it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

- `gateway`: the name of the gateway that issued a QRIS attempt (status checks, the check
  before cash and notifications go to it); NULL for cash. Every QRIS attempt made before this
  revision was issued by Duitku.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (no batch copy on SQLite, which would drop CHECKs).
    op.add_column("payments", sa.Column("gateway", sa.String(length=32), nullable=True))
    op.execute("UPDATE payments SET gateway = 'duitku' WHERE method = 'qris'")


def downgrade() -> None:
    op.drop_column("payments", "gateway")
