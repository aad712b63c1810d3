"""The outbox in memory: staged events reach the store on commit, never otherwise.

Numbers are given from the store's committed last number of each order plus what this unit
of work already staged; the in-memory unit of work serializes writers, so that is safe here
(the SQL adapter proves it under concurrency). The webhook feed's subscriptions and
deliveries exist in SQL only (adapters/sqlalchemy/webhooks.py): the in-memory outbox serves
the use cases' unit tests and `for_order` readers.
"""

import builtins
from collections.abc import Sequence
from typing import Any

from adapters.in_memory.repositories import InMemoryOrderRepository
from adapters.in_memory.store import InMemoryStore
from application.outbox import OutboxDraft, OutboxEvent, order_view


class InMemoryOutbox:
    """`uow.outbox` over an InMemoryStore."""

    def __init__(
        self,
        store: InMemoryStore,
        *,
        read_only: bool = False,
        orders: InMemoryOrderRepository | None = None,
    ) -> None:
        self._store = store
        self._orders = orders
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

    async def order_view(self, order_id: int) -> dict[str, Any] | None:
        if self._orders is None:
            found = self._store.orders.get(order_id)
        else:
            found = await self._orders.get(order_id)
        return None if found is None else order_view(found)

    def commit(self) -> None:
        self._store.outbox.extend(self.staged)
        self.staged.clear()

    def _last_seq(self, order_id: int) -> int:
        seqs = [e.seq for e in (*self._store.outbox, *self.staged) if e.order_id == order_id]
        return max(seqs, default=0)
