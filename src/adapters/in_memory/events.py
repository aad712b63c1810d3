"""An event publisher that keeps what it was given, so tests can see what happened."""

from collections.abc import Sequence
from typing import TypeVar

from domain.events import DomainEvent

E = TypeVar("E")


class InMemoryEventPublisher:
    """Records every published event in order."""

    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        self.published.extend(events)

    def of_type(self, kind: type[E]) -> list[E]:
        return [event for event in self.published if isinstance(event, kind)]
