"""Every inbox entry records the name of the gateway that sent it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

- `notification_inbox.gateway`: the name of the gateway whose route received the
  notification; it verifies the entry, and a staff member's re-processing goes to it. Every
  notification received before this revision came from Duitku (the default fills them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (no batch copy on SQLite, which would drop CHECKs);
    # the server default fills the existing rows.
    op.add_column(
        "notification_inbox",
        sa.Column(
            "gateway", sa.String(length=32), server_default=sa.text("'duitku'"), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("notification_inbox", "gateway")
