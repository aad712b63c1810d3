"""Idempotency keys in a dict, with the SQL store's rules (application.ports.IdempotencyStore).

Every method runs without awaiting, so on one event loop each call is atomic, as a short
transaction is on a database.
"""

from dataclasses import replace
from datetime import datetime

from application.idempotency import IdempotencyRecord, StoredResponse


class InMemoryIdempotencyStore:
    """Keys by (scope, key)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], IdempotencyRecord] = {}

    async def claim(
        self,
        *,
        scope: str,
        key: str,
        fingerprint: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        expires_at: datetime,
    ) -> IdempotencyRecord:
        current = self.records.get((scope, key))
        died = (
            current is not None
            and current.response is None
            and current.lease_until is not None
            and current.lease_until <= now
            and current.fingerprint == fingerprint
        )
        if current is None or current.expires_at <= now or died:
            current = IdempotencyRecord(
                scope=scope,
                key=key,
                fingerprint=fingerprint,
                lease_owner=owner,
                lease_until=lease_until,
                created_at=now,
                expires_at=expires_at,
            )
            self.records[(scope, key)] = current
        return current

    async def complete(
        self,
        *,
        scope: str,
        key: str,
        owner: str,
        response: StoredResponse,
        now: datetime,
        expires_at: datetime,
    ) -> bool:
        current = self.records.get((scope, key))
        if current is None or current.lease_owner != owner or current.response is not None:
            return False
        self.records[(scope, key)] = replace(
            current, response=response, lease_owner=None, lease_until=None, expires_at=expires_at
        )
        return True

    async def release(self, *, scope: str, key: str, owner: str) -> bool:
        current = self.records.get((scope, key))
        if current is None or current.lease_owner != owner or current.response is not None:
            return False
        del self.records[(scope, key)]
        return True

    async def purge_expired(self, *, now: datetime) -> int:
        expired = [name for name, record in self.records.items() if record.expires_at <= now]
        for name in expired:
            del self.records[name]
        return len(expired)
