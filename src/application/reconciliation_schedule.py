"""When the reconciliation job asks the gateway about an attempt, and what it keeps per attempt.

Duitku sends a callback at most 5 times and blocks merchants that poll `transactionStatus`
(API.md §7.4, §9), so an attempt whose callback never came is checked on a fixed, sparse
schedule counted from its expiry: + 2 min, + 15 min, + 1 h, + 6 h, + 24 h. An attempt the
gateway still holds open after the last check is listed for a human instead. An attempt still
`creating` (its create call timed out, or the process died before recording the answer) is
checked once it is older than the grace period, which settles it in one call. The grace is
derived from the create call's whole timeout (`creating_grace`): a check that finds the
attempt pending at the gateway abandons it, so a create still in flight must never be checked.

The queue (a port, `ReconciliationQueue`) keeps the per-attempt bookkeeping next to the
attempt: who holds it right now (lease owner and end), when it is due next, how many scheduled
checks were made, and why it needs a human, if it does.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.payments import Payment, PaymentStatus

CHECK_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(minutes=2),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)


# Room, after the create call's deadline, to record its answer (one short write transaction).
CREATE_RECORDING_MARGIN = timedelta(seconds=15)
# The create call's whole timeout the defaults assume (the Duitku adapter's: two sends of 30 s).
DEFAULT_CREATE_CALL_TIMEOUT = timedelta(seconds=60)


def creating_grace(create_call_timeout: timedelta) -> timedelta:
    """How old a `creating` attempt must be before a status check may settle it.

    Longer than the whole create call can take plus the time to record its answer, so an
    attempt whose create is still in flight (or whose answer is being written) is reported as
    in progress, never abandoned while its QR is about to be shown.
    """
    if create_call_timeout <= timedelta(0):
        raise ValueError("the create call's timeout must be positive")
    return create_call_timeout + CREATE_RECORDING_MARGIN


DEFAULT_CREATING_GRACE = creating_grace(DEFAULT_CREATE_CALL_TIMEOUT)


def next_scheduled_check(
    expires_at: datetime, now: datetime, schedule: Sequence[timedelta] = CHECK_SCHEDULE
) -> datetime | None:
    """The first slot of the schedule after `now`, or None when the schedule is over.

    Slots that passed while nobody checked (the service was down) are not made up one by one:
    one check covers them, and the next one is the next slot still ahead.
    """
    for offset in schedule:
        slot = expires_at + offset
        if slot > now:
            return slot
    return None


# Status checks the gateway may refuse in a row (a wrong key, an answer kasir cannot read)
# before the attempt is handed to staff instead of being retried every few minutes forever.
MAX_REJECTED_CHECKS = 3


class ReviewReason(StrEnum):
    """Why an attempt was handed to staff (the metric's label; the stored text says more)."""

    SUCCESS_CONTRADICTED = "success_contradicted"  # signed success, gateway: failed/not found
    AMOUNT_MISMATCH = "amount_mismatch"  # the gateway reports another amount paid
    AMOUNT_UNKNOWN = "amount_unknown"  # the gateway reports it paid but gives no amount
    STATUS_CHECK_REJECTED = "status_check_rejected"  # the gateway keeps refusing the check
    STILL_OPEN = "still_open"  # the gateway still holds it open after the last slot


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledCheck:
    """An attempt the caller holds the lease of, with what was known when it was claimed.

    `flagged_at`: when it was handed to staff, if that review is still open (a flagged
    attempt that is not settled stays on the schedule, counted from the flag);
    `rejected_checks`: status checks the gateway refused in a row.
    """

    attempt_id: str
    status: PaymentStatus
    created_at: datetime
    expires_at: datetime | None
    check_count: int
    claimed_at: datetime  # the claim's `now`: a check requested later is not this one
    flagged_at: datetime | None = None
    rejected_checks: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewItem:
    """An attempt a human must look at, and why."""

    payment: Payment
    review_required_at: datetime
    review_reason: str
    check_count: int
