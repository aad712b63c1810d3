"""The records behind signing in: open sessions (by token hash) and counted failed logins.

A session token is handed to the staff member once and stored only as its SHA-256 hash, so
a database leak reveals no usable token. A session belongs to one account and ends at its
expiry, at logout, or at once when the account is deactivated or its password reset.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StaffSession:
    """One signed-in session: the token's hash (never the token) and whose it is."""

    token_hash: str
    account_id: int
    created_at: datetime
    expires_at: datetime

    def __repr__(self) -> str:
        return (
            f"StaffSession(account_id={self.account_id}, created_at={self.created_at!r}, "
            f"expires_at={self.expires_at!r})"
        )


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    """Failed logins are counted per account name (as typed, case-folded) and address."""

    name_key: str
    address: str
