"""Staff accounts, their sessions and the failed-login counts, on the shared `metadata`.

- `staff_accounts.name_key` is the case-folded name (domain.staff.name_key) under a unique
  constraint, so two accounts can never differ only by case, whatever the application does.
- `staff_sessions` holds the SHA-256 hash of each session token, never the token; sessions go
  with their account.
- `login_failures` has one row per (name key, address) pair, deleted after `forget_at`.
"""

from datetime import datetime
from typing import cast

from sqlalchemy import (
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
from adapters.sqlalchemy.tables import Base
from domain.staff import MAX_NAME_LENGTH, Role

MAX_NAME_KEY_LENGTH = 128  # application.use_cases.sign_in.MAX_KEY_LENGTH: what is counted
MAX_ADDRESS_LENGTH = 64  # an IPv6 address with a zone fits
ROLE_VALID = f"role IN ({', '.join(repr(r.value) for r in sorted(Role))})"


class StaffAccountRow(Base):
    __tablename__ = "staff_accounts"
    __table_args__ = (
        CheckConstraint(ROLE_VALID, name="role_valid"),
        CheckConstraint("version >= 0", name="version_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(MAX_NAME_KEY_LENGTH), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class StaffSessionRow(Base):
    __tablename__ = "staff_sessions"
    __table_args__ = (
        Index("ix_staff_sessions_account_id", "account_id"),
        Index("ix_staff_sessions_expires_at", "expires_at"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        BigIntegerId, ForeignKey("staff_accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailureRow(Base):
    __tablename__ = "login_failures"
    __table_args__ = (
        CheckConstraint("failures >= 0", name="failures_not_negative"),
        Index("ix_login_failures_forget_at", "forget_at"),
    )

    name_key: Mapped[str] = mapped_column(String(MAX_NAME_KEY_LENGTH), primary_key=True)
    address: Mapped[str] = mapped_column(String(MAX_ADDRESS_LENGTH), primary_key=True)
    failures: Mapped[int] = mapped_column(BigInteger)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    forget_at: Mapped[datetime] = mapped_column(UTCDateTime)


staff_accounts = cast(Table, StaffAccountRow.__table__)
staff_sessions = cast(Table, StaffSessionRow.__table__)
login_failures = cast(Table, LoginFailureRow.__table__)
