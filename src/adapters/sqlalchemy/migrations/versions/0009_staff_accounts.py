"""Staff accounts with roles, their sign-in sessions, and failed sign-ins per name and address.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

- `staff_accounts`: name (unique ignoring case through `name_key`), role admin or cashier,
  active flag, Argon2id password hash.
- `staff_sessions`: the SHA-256 hash of each session token (never the token) and its expiry.
- `login_failures`: failed sign-ins counted per (name key, address), deleted after `forget_at`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'cashier')", name=op.f("ck_staff_accounts_role_valid")
        ),
        sa.CheckConstraint("version >= 0", name=op.f("ck_staff_accounts_version_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("name_key", name=op.f("uq_staff_accounts_name_key")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_sessions_account_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_sessions")),
    )
    op.create_index("ix_staff_sessions_account_id", "staff_sessions", ["account_id"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])
    op.create_table(
        "login_failures",
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("last_failed_at", INSTANT, nullable=False),
        sa.Column("blocked_until", INSTANT, nullable=False),
        sa.Column("forget_at", INSTANT, nullable=False),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_login_failures_failures_not_negative")),
        sa.PrimaryKeyConstraint("name_key", "address", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_forget_at", "login_failures", ["forget_at"])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
