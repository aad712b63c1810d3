"""Running requests that carry an idempotency key (see application.idempotency)."""

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application.idempotency import (
    Begun,
    Decision,
    IdempotencyRecord,
    StoredResponse,
    Ticket,
)
from application.ports import Clock, IdempotencyStore
from application.sealing import Sealer, UnreadableSeal

# Longer than the slowest request these endpoints make: a QRIS start may check a status
# (3 tries of at most 30 s) and then create (at most 30 s).
DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_RETENTION = timedelta(hours=24)
MAX_RETRY_AFTER_SECONDS = 5


def _new_owner() -> str:
    return secrets.token_hex(16)


def _context(scope: str, key: str) -> bytes:
    """What a sealed answer is bound to: it opens under this scope and key only."""
    return len(scope).to_bytes(4, "big") + scope.encode() + key.encode()


@dataclass(frozen=True, slots=True)
class IdempotentRequests:
    """Begins, finishes and abandons requests carrying an idempotency key.

    Stored bodies are sealed with `sealer`, bound to their scope and key.
    """

    store: IdempotencyStore
    clock: Clock
    sealer: Sealer
    lease: timedelta = DEFAULT_LEASE
    retention: timedelta = DEFAULT_RETENTION
    new_owner: Callable[[], str] = _new_owner

    async def begin(self, *, scope: str, key: str, fingerprint: str) -> Begun:
        """Take the key for this request, or say why not (replay, in flight, mismatch)."""
        owner = self.new_owner()
        now = self.clock.now()
        record = await self.store.claim(
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            owner=owner,
            now=now,
            lease_until=now + self.lease,
            expires_at=now + self.retention,
        )
        if record.fingerprint != fingerprint:
            return Begun(decision=Decision.MISMATCH)
        if record.response is not None:
            try:
                body = self.sealer.open(record.response.body, context=_context(scope, key))
            except UnreadableSeal:
                return Begun(decision=Decision.UNREADABLE)
            return Begun(decision=Decision.REPLAY, response=replace(record.response, body=body))
        if record.lease_owner == owner and record.lease_until is not None:
            ticket = Ticket(scope=scope, key=key, owner=owner, lease_until=record.lease_until)
            return Begun(decision=Decision.PROCEED, ticket=ticket)
        return Begun(decision=Decision.IN_FLIGHT, retry_after=self._retry_after(record, now))

    async def finish(self, ticket: Ticket, response: StoredResponse) -> bool:
        """Store the final answer for replay; False when the lease was lost meanwhile."""
        now = self.clock.now()
        sealed = self.sealer.seal(response.body, context=_context(ticket.scope, ticket.key))
        return await self.store.complete(
            scope=ticket.scope,
            key=ticket.key,
            owner=ticket.owner,
            response=replace(response, body=sealed),
            now=now,
            expires_at=now + self.retention,
        )

    async def abandon(self, ticket: Ticket) -> None:
        """Give the key back unanswered, so a retry runs the request again."""
        await self.store.release(scope=ticket.scope, key=ticket.key, owner=ticket.owner)

    async def purge_expired(self) -> int:
        """Forget keys older than the retention period; returns how many."""
        return await self.store.purge_expired(now=self.clock.now())

    @staticmethod
    def _retry_after(record: IdempotencyRecord, now: datetime) -> int:
        if record.lease_until is None:
            return 1
        remaining = (record.lease_until - now).total_seconds()
        return max(1, min(MAX_RETRY_AFTER_SECONDS, math.ceil(remaining)))
