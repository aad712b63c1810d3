"""Audit records of the refund workflow: who asked for a refund, who decided it, and how."""

from application.audit import audit_record
from application.callers import Staff, System
from domain.audit import AuditRecord
from domain.refunds import Refund, RefundStatus


def requested_record(caller: Staff | System, refund: Refund) -> AuditRecord:
    """The audit record of a refund request (by staff, or by kasir for money it flagged)."""
    return audit_record(
        caller,
        "refund.requested",
        f"refund:{refund.key}",
        at=refund.requested_at,
        after={
            "order_id": refund.order_id,
            "payment": refund.payment_uid,
            "method": refund.method.value,
            "amount": refund.amount,
            "reason": refund.reason,
            "status": refund.status.value,
        },
    )


def decided_record(admin: Staff, refund: Refund, action: str) -> AuditRecord:
    """The audit record of an admin's approval or rejection (`action`)."""
    decided_at = refund.decided_at or refund.requested_at
    return audit_record(
        admin,
        action,
        f"refund:{refund.key}",
        at=decided_at,
        before={"status": RefundStatus.REQUESTED.value, "amount": refund.amount},
        after={
            "status": refund.status.value,
            "shift_id": refund.shift_id,
            "reference": refund.reference,
            "note": refund.decision_note,
        },
    )
