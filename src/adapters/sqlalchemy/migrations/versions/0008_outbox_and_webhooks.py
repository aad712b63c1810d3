"""The outbox of order and payment events, webhook subscriptions and their deliveries.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

- `outbox_events`: every order and payment event, written in the transaction of the change
  it describes, numbered per order (`seq`, unique with `order_id`).
- `outbox_sequences`: each order's last event number.
- `webhook_subscriptions`: receivers of the signed webhook feed (secret sealed).
- `webhook_deliveries`: one row per event and subscription, its retry schedule and lease.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("position", ID, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", INSTANT, nullable=False),
        sa.CheckConstraint("seq > 0", name=op.f("ck_outbox_events_seq_positive")),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
        sa.UniqueConstraint("order_id", "seq", name=op.f("uq_outbox_events_order_id_seq")),
    )
    op.create_table(
        "outbox_sequences",
        sa.Column("order_id", ID, autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.CheckConstraint("last_seq > 0", name=op.f("ck_outbox_sequences_last_seq_positive")),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_outbox_sequences")),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("paused_at", INSTANT, nullable=True),
        sa.Column("from_setting", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'paused')", name=op.f("ck_webhook_subscriptions_status_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", ID, nullable=False),
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("event_position", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", INSTANT, nullable=False),
        sa.Column("first_failed_at", INSTANT, nullable=True),
        sa.Column("last_attempt_at", INSTANT, nullable=True),
        sa.Column("last_status_code", sa.SmallInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", INSTANT, nullable=True),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("lease_until", INSTANT, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_webhook_deliveries_attempts_not_negative")
        ),
        sa.CheckConstraint(
            "status IN ('delivered', 'failed', 'pending')",
            name=op.f("ck_webhook_deliveries_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["event_position"],
            ["outbox_events.position"],
            name=op.f("fk_webhook_deliveries_event_position_outbox_events"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "subscription_id",
            "event_position",
            name=op.f("uq_webhook_deliveries_subscription_id_event_position"),
        ),
    )
    for name, columns in (
        (
            "ix_webhook_deliveries_subscription_id_status_next_attempt_at",
            ["subscription_id", "status", "next_attempt_at"],
        ),
        (
            "ix_webhook_deliveries_subscription_id_order_id_seq",
            ["subscription_id", "order_id", "seq"],
        ),
        ("ix_webhook_deliveries_status_id", ["status", "id"]),
    ):
        op.create_index(name, "webhook_deliveries", columns)


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_table("outbox_sequences")
    op.drop_table("outbox_events")
