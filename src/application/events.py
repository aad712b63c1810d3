"""Collecting the events aggregates recorded, to publish them once their transaction committed."""

from domain.events import DomainEvent
from domain.orders import Order
from domain.payments import Payment


def drain(*aggregates: Order | Payment | None) -> list[DomainEvent]:
    """Take (and clear) the events recorded by the given aggregates, in order."""
    events: list[DomainEvent] = []
    for aggregate in aggregates:
        if aggregate is not None:
            events.extend(aggregate.events)
            aggregate.events.clear()
    return events
