"""Staff sign in with a name and password, get an opaque session token, and sign out.

Each attempt is counted against its (name, address) pair before the password is checked and
forgotten after a success (domain.login_throttle), in a short transaction of its own: no
transaction is held while Argon2 works. An unknown name is checked against a dummy hash, and
an unknown name, a wrong password and a deactivated account get one answer.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.audit import audit_record
from application.callers import Anonymous, Caller, Staff, require_staff
from application.errors import InvalidCredentials, LoginThrottled
from application.ports import Clock, PasswordHasher, SecretTokens, UnitOfWorkFactory
from application.staff_access import StaffSession, ThrottleKey
from application.tokens import hash_token
from domain.login_throttle import ThrottlePolicy
from domain.staff import StaffAccount, name_key

WRONG_CREDENTIALS = "the name or the password is wrong"
PURGE_BATCH = 100  # stale throttle records and expired sessions deleted per sign-in, at most
# A typed name longer than any account's is still counted, by its first characters.
MAX_KEY_LENGTH = 128


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the token is shown to its owner once and never stored."""

    token: str = field(repr=False)
    expires_at: datetime
    account: StaffAccount


@dataclass(frozen=True, slots=True)
class LogIn:
    """Check a name and password and open a session of `session_lifetime`."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    clock: Clock
    secrets: SecretTokens
    policy: ThrottlePolicy
    session_lifetime: timedelta

    async def execute(self, *, name: str, password: str, address: str) -> SignedIn:
        key = ThrottleKey(name_key(name)[:MAX_KEY_LENGTH], address)
        now = self.clock.now()
        account = await self._count_attempt(key, name, now)
        matched = await self.hasher.verify(password, account.password_hash if account else None)
        if account is None or not matched or not account.active:
            await self._audit_failure(name, account, address, now)
            raise InvalidCredentials(WRONG_CREDENTIALS)
        new_hash = (
            await self.hasher.hash(password)
            if self.hasher.needs_rehash(account.password_hash)
            else None
        )
        token = self.secrets.new_secret()
        async with self.uow() as uow:
            # Read again: the account may have been deactivated while the password was checked.
            current = await uow.staff.get(_id(account))
            if current is None or not current.active:
                raise InvalidCredentials(WRONG_CREDENTIALS)
            await uow.login_throttle.forget(key)
            expires_at = now + self.session_lifetime
            await uow.staff_sessions.add(
                StaffSession(hash_token(token), _id(current), now, expires_at)
            )
            await uow.staff_sessions.purge_expired(now=now, limit=PURGE_BATCH)
            signed_in = Staff(current.name, current.role, current.staff_id)
            await uow.audit.append(
                audit_record(
                    signed_in,
                    "auth.login",
                    f"staff:{current.staff_id}",
                    at=now,
                    after={"address": address, "expires_at": expires_at.isoformat()},
                )
            )
            if new_hash is not None and current.password_hash == account.password_hash:
                current.set_password_hash(new_hash, now=now)
                await uow.staff.update(current)
            await uow.commit()
        return SignedIn(token=token, expires_at=expires_at, account=current)

    async def _audit_failure(
        self, name: str, account: StaffAccount | None, address: str, now: datetime
    ) -> None:
        """Who tried which name from where; never the password. A name without an account
        is kept as typed (bounded), for the owner to see what was guessed."""
        subject = f"staff:{account.staff_id}" if account else f"staff_name:{name_key(name)[:80]}"
        async with self.uow() as uow:
            await uow.audit.append(
                audit_record(
                    Anonymous(),
                    "auth.login_failed",
                    subject,
                    at=now,
                    after={"address": address, "name": name[:MAX_KEY_LENGTH]},
                )
            )
            await uow.commit()

    async def _count_attempt(
        self, key: ThrottleKey, name: str, now: datetime
    ) -> StaffAccount | None:
        """Refuse while the pair must wait; else count this attempt as failed (a success
        forgets it) and return the named account, if any."""
        async with self.uow() as uow:
            record = await uow.login_throttle.lock(key, now=now)
            wait = record.retry_after(now)
            if wait is not None:
                raise LoginThrottled(
                    "too many failed sign-ins: wait before trying again",
                    retry_after=max(1, math.ceil(wait.total_seconds())),
                )
            counted = record.counted(now, self.policy)
            await uow.login_throttle.put(key, counted, forget_at=counted.forgotten_at(self.policy))
            await uow.login_throttle.purge(now=now, limit=PURGE_BATCH)
            account = await uow.staff.find_by_name(name)
            await uow.commit()
        return account


def _id(account: StaffAccount) -> int:
    if account.id is None:
        raise ValueError("the account is not stored")
    return account.id


@dataclass(frozen=True, slots=True)
class LogOut:
    """End the caller's session (its token). An API token is configuration: nothing ends."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, *, caller: Caller, token: str) -> bool:
        staff = require_staff(caller)
        async with self.uow() as uow:
            ended = await uow.staff_sessions.end(hash_token(token))
            if ended is not None:
                await uow.audit.append(
                    audit_record(
                        staff, "auth.logout", f"staff:{staff.staff_id}", at=self.clock.now()
                    )
                )
            await uow.commit()
        return ended is not None


@dataclass(frozen=True, slots=True)
class IdentifySession:
    """The staff member a session token belongs to, while it is unexpired and its account
    active (read on every request: a deactivation or role change applies at once)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def execute(self, token: str) -> Staff | None:
        async with self.uow(read_only=True) as uow:
            found = await uow.staff_sessions.find(hash_token(token), now=self.clock.now())
        if found is None:
            return None
        _, account = found
        if not account.active:
            return None
        return Staff(account.name, account.role, account.staff_id)
