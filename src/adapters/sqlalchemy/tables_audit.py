"""The audit log table: append-only (no statement in kasir updates or deletes it)."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from adapters.sqlalchemy.column_types import BigIntegerId, UTCDateTime
from adapters.sqlalchemy.tables import Base
from domain.audit import MAX_ACTION_LENGTH, MAX_ACTOR_LENGTH, MAX_SUBJECT_LENGTH


class AuditLogRow(Base):
    """One staff action (domain.audit.AuditRecord); ids grow with time and are the cursor."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_id_id", "actor_id", "id"),
        Index("ix_audit_log_action_id", "action", "id"),
        Index("ix_audit_log_subject_id", "subject", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[str] = mapped_column(String(MAX_ACTOR_LENGTH))
    actor_name: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(MAX_ACTION_LENGTH))
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT_LENGTH))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


audit_log = cast(Table, AuditLogRow.__table__)
