"""The cash drawer and refund tables (migration 0010), on the same `metadata` as tables.py.

- `shifts`: one staff member's cash drawer from the opening float to the counted close, with
  the running totals of the cash that went through it. One open shift per staff member (a
  partial unique index on `staff_id`); a closed shift's row is never written again (a trigger
  installed by migration 0010 refuses it); its `expected_at_close` is the drawer arithmetic,
  checked by a CHECK constraint.
- `shift_cash_movements`: paid-ins and paid-outs of a shift, with the reason.
- `refunds`: refund requests of paid orders and their approval. The orders row holds what the
  requested and approved ones reserve (`orders.refund_reserved`, CHECK <= total).

`payments.shift_id` (the drawer a cash payment went into) and the orders columns live in
tables.py with their tables. docs/drawer.md describes every column and the arithmetic.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sqlalchemy.column_types import BigIntegerId, UTCDateTime
from adapters.sqlalchemy.tables import Base, one_of
from domain.payments import MAX_ATTEMPT_ID_LENGTH, PaymentMethod
from domain.refunds import MAX_REFERENCE_LENGTH, RefundStatus
from domain.shifts import CashMovementKind, ShiftStatus

STAFF_ID_LENGTH = 255
OPEN_SHIFT_PREDICATE = "status = 'open'"
FLAGGED_REFUND_PREDICATE = "flagged"
# The drawer arithmetic, held by the database for every closed shift.
EXPECTED_AT_CLOSE = (
    "status = 'open' OR expected_at_close = "
    "opening_float + cash_payments - cash_refunds + paid_in - paid_out"
)
CLOSED_SHIFT_COMPLETE = (
    "(status = 'open' AND closed_at IS NULL AND counted_cash IS NULL "
    "AND expected_at_close IS NULL) OR (status = 'closed' AND closed_at IS NOT NULL "
    "AND counted_cash IS NOT NULL AND expected_at_close IS NOT NULL)"
)
APPROVED_REFUND_MADE = (
    "status <> 'approved' OR (method = 'cash' AND shift_id IS NOT NULL) "
    "OR (method = 'qris' AND reference IS NOT NULL)"
)


class ShiftRow(Base):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint(one_of("status", [s.value for s in ShiftStatus]), name="status_valid"),
        CheckConstraint(
            "opening_float >= 0 AND cash_payments >= 0 AND cash_refunds >= 0 "
            "AND paid_in >= 0 AND paid_out >= 0",
            name="money_not_negative",
        ),
        CheckConstraint(
            "cash_payments_count >= 0 AND cash_refunds_count >= 0", name="counts_not_negative"
        ),
        CheckConstraint("counted_cash >= 0", name="counted_cash_not_negative"),
        CheckConstraint(CLOSED_SHIFT_COMPLETE, name="closed_complete"),
        CheckConstraint(EXPECTED_AT_CLOSE, name="expected_at_close"),
        CheckConstraint("version >= 0", name="version_not_negative"),
        # One open shift per staff member, whatever the application does.
        Index(
            "uq_shifts_open_per_staff",
            "staff_id",
            unique=True,
            sqlite_where=text(OPEN_SHIFT_PREDICATE),
            postgresql_where=text(OPEN_SHIFT_PREDICATE),
        ),
        Index("ix_shifts_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    # Staff.staff_id: "account:<n>" for a stored account, "token:<name>" for an API token.
    staff_id: Mapped[str] = mapped_column(String(STAFF_ID_LENGTH))
    staff_name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8))
    opening_float: Mapped[int] = mapped_column(BigInteger)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Running totals of the cash through the drawer (rupiah) and how many payments/refunds.
    cash_payments: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    cash_payments_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    cash_refunds: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    cash_refunds_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    paid_in: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    paid_out: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(STAFF_ID_LENGTH))
    closed_by_name: Mapped[str | None] = mapped_column(Text)
    force_closed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    counted_cash: Mapped[int | None] = mapped_column(BigInteger)
    expected_at_close: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class ShiftCashMovementRow(Base):
    __tablename__ = "shift_cash_movements"
    __table_args__ = (
        CheckConstraint(one_of("kind", [k.value for k in CashMovementKind]), name="kind_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_shift_cash_movements_shift_id", "shift_id"),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    shift_id: Mapped[int] = mapped_column(BigIntegerId, ForeignKey("shifts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[str] = mapped_column(String(STAFF_ID_LENGTH))
    staff_name: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class RefundRow(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(one_of("status", [s.value for s in RefundStatus]), name="status_valid"),
        CheckConstraint(one_of("method", [m.value for m in PaymentMethod]), name="method_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(status = 'requested') = (decided_at IS NULL)", name="decided_unless_requested"
        ),
        CheckConstraint(APPROVED_REFUND_MADE, name="approved_is_made"),
        CheckConstraint("version >= 0", name="version_not_negative"),
        # One system request per flagged payment.
        Index(
            "uq_refunds_flagged_payment",
            "payment_uid",
            unique=True,
            sqlite_where=text(FLAGGED_REFUND_PREDICATE),
            postgresql_where=text(FLAGGED_REFUND_PREDICATE),
        ),
        Index("ix_refunds_order_id", "order_id"),
        Index("ix_refunds_status_id", "status", "id"),
        Index("ix_refunds_shift_id", "shift_id"),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigIntegerId, ForeignKey("orders.id"))
    # The payment the money came from (the order's paying attempt, or a flagged one).
    payment_uid: Mapped[str] = mapped_column(
        String(MAX_ATTEMPT_ID_LENGTH), ForeignKey("payments.order_uid")
    )
    method: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    # A refund by lines: [[line_no, quantity], ...] (line_no 1-based); [] for one by amount.
    lines: Mapped[list[Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(STAFF_ID_LENGTH))
    requested_by_name: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Raised by kasir for money it cannot keep (late money, another amount received).
    flagged: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(STAFF_ID_LENGTH))
    decided_by_name: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The drawer an approved cash refund came out of; the reference of a QRIS one made by hand.
    shift_id: Mapped[int | None] = mapped_column(BigIntegerId, ForeignKey("shifts.id"))
    reference: Mapped[str | None] = mapped_column(String(MAX_REFERENCE_LENGTH))
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))


shifts = cast(Table, ShiftRow.__table__)
shift_cash_movements = cast(Table, ShiftCashMovementRow.__table__)
refunds = cast(Table, RefundRow.__table__)
