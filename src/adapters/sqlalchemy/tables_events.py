"""The outbox of order and payment events, the webhook subscriptions and their deliveries.

- `outbox_events`: every event in the order it was committed per order (`seq`, unique with
  the order id; `position` orders the whole outbox). Written in the transaction of the change
  it describes, never updated.
- `outbox_sequences`: each order's last event number, bumped by one upsert per transaction
  (the row lock it takes is what makes concurrent writers of one order number in turn).
- `webhook_subscriptions`: who receives which event types; the signing secret sealed with
  KASIR_SECRET_KEY (application.sealing), bound to the subscription id.
- `webhook_deliveries`: one row per event and subscription (unique), with the retry
  schedule and the dispatcher's lease.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sqlalchemy.column_types import BigIntegerId, UTCDateTime
from adapters.sqlalchemy.tables import Base
from application.webhooks import DeliveryStatus, SubscriptionStatus


def _one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in sorted(values))})"


class OutboxEventRow(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("order_id", "seq"),
        CheckConstraint("seq > 0", name="seq_positive"),
    )

    position: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    # No foreign key to orders, on purpose: checking one takes a KEY SHARE lock on the order
    # row, which a transaction that changed only a payment (a QR issued) would then wait for
    # while another holds the order FOR UPDATE and waits for that payment: a deadlock. The
    # order always exists (events are written by the transactions that store them).
    order_id: Mapped[int] = mapped_column(BigIntegerId)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxSequenceRow(Base):
    __tablename__ = "outbox_sequences"
    __table_args__ = (CheckConstraint("last_seq > 0", name="last_seq_positive"),)

    # No foreign key to orders either (see OutboxEventRow.order_id).
    order_id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        CheckConstraint(
            _one_of("status", [s.value for s in SubscriptionStatus]), name="status_valid"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    paused_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The subscriber of the WEBHOOK_URL setting (at most one), kept in step with the setting.
    from_setting: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_position"),
        CheckConstraint(_one_of("status", [s.value for s in DeliveryStatus]), name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index(
            "ix_webhook_deliveries_subscription_id_status_next_attempt_at",
            "subscription_id",
            "status",
            "next_attempt_at",
        ),
        Index(
            "ix_webhook_deliveries_subscription_id_order_id_seq",
            "subscription_id",
            "order_id",
            "seq",
        ),
        Index("ix_webhook_deliveries_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(40), ForeignKey("webhook_subscriptions.id"))
    event_position: Mapped[int] = mapped_column(BigIntegerId, ForeignKey("outbox_events.position"))
    # Copied from the event: deliveries of one order go out in `seq` order per subscription.
    order_id: Mapped[int] = mapped_column(BigIntegerId)
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


outbox_events = cast(Table, OutboxEventRow.__table__)
outbox_sequences = cast(Table, OutboxSequenceRow.__table__)
webhook_subscriptions = cast(Table, WebhookSubscriptionRow.__table__)
webhook_deliveries = cast(Table, WebhookDeliveryRow.__table__)
