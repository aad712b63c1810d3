"""The database schema as SQLAlchemy 2 declarative tables, kept apart from the domain objects.

The rows are never domain objects: `mappers.py` converts between the two, and the repositories
run Core statements against the `Table` objects exported at the bottom. Every rule the database
can hold is declared here too (unique keys, foreign keys, CHECKs, the partial unique index of
one open QRIS attempt per order), so a bug in the application cannot store an impossible row.
"""

from datetime import datetime
from typing import cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from adapters.sqlalchemy.column_types import BigIntegerId, UTCDateTime
from application.inbox import REJECTED_VERIFICATIONS, Verification
from domain.menu import MAX_NAME_LENGTH
from domain.orders import OrderStatus
from domain.payments import (
    MAX_ATTEMPT_ID_LENGTH,
    OPEN_STATUSES,
    PaymentMethod,
    PaymentStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in sorted(values))})"


OPEN_QRIS_PREDICATE = f"method = 'qris' AND {one_of('status', [s.value for s in OPEN_STATUSES])}"
OPEN_REFUND_PREDICATE = "refund_required_at IS NOT NULL AND refund_resolved_at IS NULL"
FLAGGED_REFUND_PREDICATE = "refund_required_at IS NOT NULL"
REFUND_RESERVED_IN_RANGE = (
    "refund_reserved >= 0 AND refund_reserved <= total AND (refund_reserved = 0 OR status = 'paid')"
)
SHIFT_ONLY_FOR_CASH = "shift_id IS NULL OR method = 'cash'"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class MenuItemRow(Base):
    __tablename__ = "menu_items"
    __table_args__ = (CheckConstraint("price >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    price: Mapped[int] = mapped_column(BigInteger)
    available: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("status", [s.value for s in OrderStatus]), name="status_valid"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("version >= 0", name="version_not_negative"),
        # Never more refunded (requested or approved) than was paid, and only of a paid order
        # (migration 0010).
        CheckConstraint(REFUND_RESERVED_IN_RANGE, name="refund_reserved_in_range"),
        Index("ix_orders_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    table_number: Mapped[str | None] = mapped_column(Text)
    customer_name: Mapped[str | None] = mapped_column(Text)
    access_token_hash: Mapped[str] = mapped_column(Text)
    # The sum of the lines when placed; kept for reports. The domain recomputes it from the lines.
    total: Mapped[int] = mapped_column(BigInteger)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by: Mapped[str | None] = mapped_column(String(MAX_ATTEMPT_ID_LENGTH))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(Text)
    # Why staff voided it (migration 0010; required since).
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # What requested and approved refunds reserve of the total (migration 0010).
    refund_reserved: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class OrderLineRow(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    order_id: Mapped[int] = mapped_column(
        BigIntegerId, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    menu_item_id: Mapped[int] = mapped_column(BigIntegerId, ForeignKey("menu_items.id"))
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(one_of("method", [m.value for m in PaymentMethod]), name="method_valid"),
        CheckConstraint(one_of("status", [s.value for s in PaymentStatus]), name="status_valid"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("cash_tendered >= 0", name="cash_tendered_not_negative"),
        CheckConstraint("change_due >= 0", name="change_due_not_negative"),
        CheckConstraint("version >= 0", name="version_not_negative"),
        CheckConstraint("check_count >= 0", name="check_count_not_negative"),
        CheckConstraint(SHIFT_ONLY_FOR_CASH, name="shift_only_for_cash"),
        # At most one open QRIS attempt per order, whatever the application does.
        Index(
            "uq_payments_open_qris_per_order",
            "order_id",
            unique=True,
            sqlite_where=text(OPEN_QRIS_PREDICATE),
            postgresql_where=text(OPEN_QRIS_PREDICATE),
        ),
        Index("ix_payments_order_id_created_at", "order_id", "created_at"),
        Index("ix_payments_status_expires_at", "status", "expires_at"),
        Index("ix_payments_status_created_at", "status", "created_at"),
        Index("ix_payments_shift_id", "shift_id"),
        Index(
            "ix_payments_open_refunds",
            "refund_required_at",
            sqlite_where=text(OPEN_REFUND_PREDICATE),
            postgresql_where=text(OPEN_REFUND_PREDICATE),
        ),
        Index(
            "ix_payments_flagged_refunds",
            "refund_required_at",
            sqlite_where=text(FLAGGED_REFUND_PREDICATE),
            postgresql_where=text(FLAGGED_REFUND_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    order_uid: Mapped[str] = mapped_column(String(MAX_ATTEMPT_ID_LENGTH), unique=True)
    order_id: Mapped[int] = mapped_column(BigIntegerId, ForeignKey("orders.id"))
    method: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The name of the gateway that issued the attempt (migration 0005; NULL for cash).
    gateway: Mapped[str | None] = mapped_column(String(32))
    gateway_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    qr_string: Mapped[str | None] = mapped_column(Text)
    payment_url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_reason: Mapped[str | None] = mapped_column(Text)
    cash_tendered: Mapped[int | None] = mapped_column(BigInteger)
    change_due: Mapped[int | None] = mapped_column(BigInteger)
    taken_by: Mapped[str | None] = mapped_column(Text)
    refund_required_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_reason: Mapped[str | None] = mapped_column(Text)
    refund_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_resolved_by: Mapped[str | None] = mapped_column(Text)
    refund_note: Mapped[str | None] = mapped_column(Text)
    # Why a closed attempt closed, when the status does not say it, and the amount the
    # gateway reports received on it (migration 0004; values in ClosedReason).
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    amount_received: Mapped[int | None] = mapped_column(BigInteger)
    # The cash drawer shift a cash payment went into (migration 0010; NULL for QRIS and for
    # cash taken before shifts existed).
    # Not a foreign key: SQLite cannot add a named one without copying the table; kasir never
    # deletes a shift, and the use case stores only a stored shift's id.
    shift_id: Mapped[int | None] = mapped_column(BigIntegerId)
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Reconciliation bookkeeping (not part of the domain object, so the mappers never read or
    # write it; the payment repository writes only the review columns and `next_check_at`).
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # When the gateway was last asked about this attempt (`claim_status_check`, migration 0002).
    status_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the reconciliation job when a human must look at the attempt (migration 0003).
    review_required_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(Text)
    # A staff member dismissed or resolved the review (migration 0004); a new flag clears it.
    review_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_resolved_by: Mapped[str | None] = mapped_column(Text)
    review_note: Mapped[str | None] = mapped_column(Text)
    # Status checks the gateway refused in a row (a wrong key, an unknown answer; 0004).
    rejected_check_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))


PERSONAL_DATA_KEPT = text("personal_data_removed_at IS NULL")
NEVER_VERIFIED = text(
    "verification IN (" + ", ".join(f"'{v.value}'" for v in sorted(REJECTED_VERIFICATIONS)) + ")"
)


class NotificationInboxRow(Base):
    """Every gateway notification as received (personal fields masked), and what it led to."""

    __tablename__ = "notification_inbox"
    __table_args__ = (
        CheckConstraint(
            one_of("verification", [v.value for v in Verification]), name="verification_valid"
        ),
        Index("ix_notification_inbox_order_uid", "order_uid"),
        Index("ix_notification_inbox_received_at", "received_at"),
        Index("ix_notification_inbox_needs_review_id", "needs_review", "id"),
        # The purges' batches (migration 0012): only the entries still to blank, and only the
        # rejected ones, so a batch reads its own rows, never a year of entries done before.
        Index(
            "ix_notification_inbox_personal_data_due",
            "received_at",
            sqlite_where=PERSONAL_DATA_KEPT,
            postgresql_where=PERSONAL_DATA_KEPT,
        ),
        Index(
            "ix_notification_inbox_rejected_received_at",
            "received_at",
            sqlite_where=NEVER_VERIFIED,
            postgresql_where=NEVER_VERIFIED,
        ),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The gateway whose route received it; entries from before revision 0007 are Duitku's.
    gateway: Mapped[str] = mapped_column(String(32), server_default=text("'duitku'"))
    source_address: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    # Untrusted input: not a foreign key, and any length the sender chose (the use case trims).
    order_uid: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[str] = mapped_column(String(32))
    signature_scheme: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    needs_review: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    review_note: Mapped[str | None] = mapped_column(Text)
    personal_data_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKeyRow(Base):
    """A client's idempotency key (application.idempotency): the request it was first used
    for, the lease of the request running it, then the answer to replay until `expires_at`."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("scope", "idempotency_key"),
        CheckConstraint(
            "response_status IS NULL OR response_status BETWEEN 100 AND 599",
            name="response_status_valid",
        ),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(SmallInteger)
    response_content_type: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


metadata = Base.metadata
menu_items = cast(Table, MenuItemRow.__table__)
orders = cast(Table, OrderRow.__table__)
order_lines = cast(Table, OrderLineRow.__table__)
payments = cast(Table, PaymentRow.__table__)
notification_inbox = cast(Table, NotificationInboxRow.__table__)
idempotency_keys = cast(Table, IdempotencyKeyRow.__table__)
