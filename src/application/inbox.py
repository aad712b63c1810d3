"""The notification inbox: every gateway notification, stored before it is processed.

It is the audit trail of what the gateway (or anybody pretending to be it) sent: raw fields with
payer details masked, where it came from, whether it verified, and what it led to. Staff read
it, re-process an entry, and review the ones flagged for a human.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

REMOVED = "[removed]"
# What a rejected notification keeps: its known fields, each and all together bounded, so a
# forger cannot fill the database with junk (a genuine callback is well under 2 KiB).
MAX_REJECTED_FIELD_CHARS = 256
MAX_REJECTED_TOTAL_CHARS = 2048
MAX_DETAIL_CHARS = 300


class Verification(StrEnum):
    RECEIVED = "received"  # stored, not verified yet (or the process died meanwhile)
    VERIFIED = "verified"
    REJECTED = "rejected"  # bad signature, wrong merchant code, scheme not allowed
    SOURCE_NOT_ALLOWED = "source_not_allowed"
    INVALID = "invalid"  # fields missing or malformed


# Verdicts of notifications that never verified: kept only for a short retention.
REJECTED_VERIFICATIONS = frozenset(
    {Verification.REJECTED, Verification.SOURCE_NOT_ALLOWED, Verification.INVALID}
)


@dataclass(slots=True, kw_only=True)
class InboxEntry:
    """One received notification. `fields` never holds unmasked personal data."""

    id: int | None = None
    received_at: datetime
    # The gateway whose route received it: it verifies the entry, and re-processing goes to it.
    gateway: str
    source_address: str | None
    fields: dict[str, str]
    attempt_id: str | None
    signature: str | None
    verification: Verification = Verification.RECEIVED
    signature_scheme: str | None = None
    outcome: str | None = None
    detail: str | None = None
    processed_at: datetime | None = None
    needs_review: bool = False
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    review_note: str | None = None
    personal_data_removed_at: datetime | None = None

    @property
    def key(self) -> int:
        if self.id is None:
            raise ValueError("inbox entry has not been stored yet")
        return self.id


@dataclass(frozen=True, slots=True)
class InboxFilter:
    attempt_id: str | None = None
    outcome: str | None = None
    verification: Verification | None = None
    needs_review: bool | None = None
    received_from: datetime | None = None
    received_until: datetime | None = None
    before_id: int | None = None
    limit: int = 50


def mask(value: str) -> str:
    """Keep the first character of each word, hide the rest: `Budi Santoso` → `B*** S******`."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in value.split(" "))


def masked_fields(fields: Mapping[str, str], personal: Collection[str]) -> dict[str, str]:
    """The fields with every personal one masked; the signed fields are never personal."""
    return {key: mask(value) if key in personal else value for key, value in fields.items()}


def without_personal_data(fields: Mapping[str, str], personal: Collection[str]) -> dict[str, str]:
    return {key: REMOVED if key in personal else value for key, value in fields.items()}


def bounded_fields(fields: Mapping[str, str], known: Collection[str] | None) -> dict[str, str]:
    """The known fields only (all when `known` is None), each value cut to a bounded length,
    and no more fields once the total is reached: what a rejected notification may store."""
    kept: dict[str, str] = {}
    total = 0
    for key, value in fields.items():
        if known is not None and key not in known:
            continue
        name, cut = key[:MAX_REJECTED_FIELD_CHARS], value[:MAX_REJECTED_FIELD_CHARS]
        total += len(name) + len(cut)
        if total > MAX_REJECTED_TOTAL_CHARS:
            break
        kept[name] = cut
    return kept
