"""The outbox in memory: staged events reach the store on commit, never otherwise.

Numbers are given from the store's committed last number of each order plus what this unit
of work already staged; the in-memory unit of work serializes writers, so that is safe here
(the SQL adapter proves it under concurrency). Deliveries are fanned out like in SQL.
"""

import builtins
from collections.abc import Sequence
from dataclasses import replace

from adapters.in_memory.store import InMemoryStore, StoredDelivery
from application.outbox import OutboxDraft, OutboxEvent
from application.webhooks import Delivery, DeliveryStatus


class InMemoryOutbox:
    """`uow.outbox` over an InMemoryStore."""

    def __init__(self, store: InMemoryStore, *, read_only: bool = False) -> None:
        self._store = store
        self._read_only = read_only
        self.staged: builtins.list[OutboxEvent] = []

    async def append(self, drafts: Sequence[OutboxDraft]) -> builtins.list[OutboxEvent]:
        if self._read_only and drafts:
            raise RuntimeError("a read-only unit of work cannot write")
        written: builtins.list[OutboxEvent] = []
        for draft in drafts:
            seq = self._last_seq(draft.order_id) + 1
            position = len(self._store.outbox) + len(self.staged) + 1
            event = OutboxEvent(
                position=position,
                id=draft.id,
                order_id=draft.order_id,
                seq=seq,
                type=draft.type,
                payload=draft.payload_with(seq),
                occurred_at=draft.occurred_at,
            )
            self.staged.append(event)
            written.append(event)
        return written

    async def for_order(self, order_id: int, after_seq: int = 0) -> builtins.list[OutboxEvent]:
        return [e for e in self._store.outbox if e.order_id == order_id and e.seq > after_seq]

    def commit(self) -> None:
        for event in self.staged:
            self._store.outbox.append(event)
            for subscription in self._store.webhook_subscriptions.values():
                if event.type in subscription.subscription.event_types:
                    self._store.deliveries.append(
                        _delivery(self._store, event, subscription.subscription.id)
                    )
        self.staged.clear()

    def _last_seq(self, order_id: int) -> int:
        seqs = [e.seq for e in (*self._store.outbox, *self.staged) if e.order_id == order_id]
        return max(seqs, default=0)


def _delivery(store: InMemoryStore, event: OutboxEvent, subscription_id: str) -> StoredDelivery:
    delivery = Delivery(
        id=len(store.deliveries) + 1,
        subscription_id=subscription_id,
        event_id=event.id,
        event_type=event.type,
        order_id=event.order_id,
        seq=event.seq,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=event.occurred_at,
        created_at=event.occurred_at,
    )
    return StoredDelivery(replace(delivery), event)
