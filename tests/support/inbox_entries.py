"""Inbox entries for the purge tests: a Duitku notification with a payer's name, received at a
given time, with any verdict."""

from datetime import datetime

from application.inbox import InboxEntry, Verification


def duitku_entry(
    number: int,
    *,
    received_at: datetime,
    verification: Verification = Verification.RECEIVED,
    customer_name: str | None = "Budi Santoso",
    source_address: str | None = None,
) -> InboxEntry:
    """Entry `number` (attempt `KSR-<number>`); `customer_name` None leaves the name out."""
    fields = {"merchantOrderId": f"KSR-{number}"}
    if customer_name is not None:
        fields["customerName"] = customer_name
    return InboxEntry(
        gateway="duitku",
        received_at=received_at,
        source_address=source_address,
        fields=fields,
        attempt_id=f"KSR-{number}",
        signature=None,
        verification=verification,
    )
