"""How failed sign-ins are slowed and then locked, per account name and client address together.

Keyed on the pair, so that someone guessing at a cashier's name from elsewhere locks out only
their own address, never the cashier at her till. Unknown names are counted exactly like known
ones: a 429 for real names only would tell which names exist.

Each attempt is counted before the password is checked (and forgotten after a success), so a
burst of parallel guesses is counted in full rather than racing past the lock.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

# Failures answered at once; after that each one makes the next attempt wait, doubling.
FREE_FAILURES = 3
MAX_SLOWDOWN = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """`lock_after` failures lock the pair for `lockout`; failures are forgotten `lockout`
    after the last one."""

    lock_after: int = 8
    lockout: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.lock_after <= FREE_FAILURES:
            raise ValueError(f"lock_after must be more than {FREE_FAILURES}")
        if self.lockout <= timedelta(0):
            raise ValueError("lockout must be positive")

    def wait_after(self, failures: int) -> timedelta:
        """How long the pair waits before its next attempt after `failures` failures."""
        if failures >= self.lock_after:
            return self.lockout
        if failures < FREE_FAILURES:
            return timedelta(0)
        return min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_SLOWDOWN)


@dataclass(frozen=True, slots=True)
class FailedLogins:
    """The failures counted for one (name, address) pair and until when it must wait."""

    failures: int
    last_failed_at: datetime
    blocked_until: datetime

    @classmethod
    def none(cls, now: datetime) -> "FailedLogins":
        return cls(failures=0, last_failed_at=now, blocked_until=now)

    def retry_after(self, now: datetime) -> timedelta | None:
        """The wait still ahead, or None when an attempt may be made now."""
        return self.blocked_until - now if now < self.blocked_until else None

    def counted(self, now: datetime, policy: ThrottlePolicy) -> "FailedLogins":
        """One more attempt counted as failed (until it proves right)."""
        stale = now - self.last_failed_at >= policy.lockout
        failures = (0 if stale else self.failures) + 1
        return FailedLogins(
            failures=failures, last_failed_at=now, blocked_until=now + policy.wait_after(failures)
        )

    def forgotten_at(self, policy: ThrottlePolicy) -> datetime:
        """When the record means nothing any more and may be deleted."""
        return max(self.blocked_until, self.last_failed_at + policy.lockout)
