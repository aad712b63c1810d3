"""Partial indexes for the inbox's two purges.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

The hourly purge blanks the personal data of entries past the retention and deletes rejected
entries past theirs, each in batches of a few hundred. Without these indexes a batch found its
rows by walking the table in id order past every entry blanked before: on a year of history
(1,000,000 orders) each SQLite transaction, holding the write lock, grew to ~2 s.

- `ix_notification_inbox_personal_data_due`: `received_at` of the entries whose personal data
  is still kept;
- `ix_notification_inbox_rejected_received_at`: `received_at` of the entries that never
  verified.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSONAL_DATA_KEPT = sa.text("personal_data_removed_at IS NULL")
NEVER_VERIFIED = sa.text("verification IN ('invalid', 'rejected', 'source_not_allowed')")


def upgrade() -> None:
    op.create_index(
        "ix_notification_inbox_personal_data_due",
        "notification_inbox",
        ["received_at"],
        sqlite_where=PERSONAL_DATA_KEPT,
        postgresql_where=PERSONAL_DATA_KEPT,
    )
    op.create_index(
        "ix_notification_inbox_rejected_received_at",
        "notification_inbox",
        ["received_at"],
        sqlite_where=NEVER_VERIFIED,
        postgresql_where=NEVER_VERIFIED,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_inbox_rejected_received_at", table_name="notification_inbox")
    op.drop_index("ix_notification_inbox_personal_data_due", table_name="notification_inbox")
