"""Collecting the events aggregates recorded, to publish them once their transaction committed."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from domain.events import DomainEvent
from domain.orders import Order
from domain.payments import Payment

R = TypeVar("R")


def drain(*aggregates: Order | Payment | None) -> list[DomainEvent]:
    """Take (and clear) the events recorded by the given aggregates, in order."""
    events: list[DomainEvent] = []
    for aggregate in aggregates:
        if aggregate is not None:
            events.extend(aggregate.events)
            aggregate.events.clear()
    return events


class NewEvents:
    """What a unit of work publishes after its commit (cosmicpython's `collect_new_events`).

    It remembers the orders and payments its repositories stored (`add`, `update`), in that
    order, and the events no aggregate owns (a flag for review); after the commit they leave
    together. One helper for every unit of work (SQL, in-memory); before the commit the unit of
    work writes the same events to its outbox (`pending`, application.outbox).
    """

    def __init__(self) -> None:
        self._stored: list[Order | Payment] = []
        self._recorded: list[DomainEvent] = []

    def track(self, repository: R) -> R:
        """Make `repository`'s add and update remember what they stored."""
        for name in ("add", "update"):
            setattr(repository, name, self._remembering(getattr(repository, name)))
        return repository

    def record(self, event: DomainEvent) -> None:
        self._recorded.append(event)

    def pending(self) -> list[tuple[DomainEvent, Order | Payment | None]]:
        """What `collect_new_events` will hand out, each event with the aggregate that recorded
        it (None for a recorded one), left in place: the outbox writes these before commit."""
        return [
            *((event, aggregate) for aggregate in self._stored for event in aggregate.events),
            *((event, None) for event in self._recorded),
        ]

    def collect_new_events(self) -> list[DomainEvent]:
        """The stored aggregates' new events (taken from them), then the recorded ones."""
        events = [*drain(*self._stored), *self._recorded]
        self.forget()
        return events

    def forget(self) -> None:
        """Nothing committed (rollback): nothing to publish."""
        self._stored.clear()
        self._recorded.clear()

    def _remembering(
        self, store: Callable[[Any], Awaitable[None]]
    ) -> Callable[[Any], Awaitable[None]]:
        async def stored(aggregate: Any) -> None:
            await store(aggregate)
            if all(seen is not aggregate for seen in self._stored):
                self._stored.append(aggregate)

        return stored
