"""Collecting the events aggregates recorded, to publish them once their transaction committed."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from application.outbox import OutboxWriter, drafts_for, order_view
from application.ports import Clock
from domain.events import DomainEvent
from domain.orders import Order
from domain.payments import Payment
from domain.refunds import Refund
from domain.shifts import Shift

R = TypeVar("R")

Aggregate = Order | Payment | Shift | Refund

# The repository methods that store aggregates (their events then leave with the unit of work),
# and those whose reads the outbox reuses. Every port method that takes an aggregate must be
# in the first, or its events would never leave: a unit test checks the ports against it.
STORING_METHODS = ("add", "update", "update_with_order")
READING_METHODS = ("get", "lock_with_order")


def drain(*aggregates: Aggregate | None) -> list[DomainEvent]:
    """Take (and clear) the events recorded by the given aggregates, in order."""
    events: list[DomainEvent] = []
    for aggregate in aggregates:
        if aggregate is not None:
            events.extend(aggregate.events)
            aggregate.events.clear()
    return events


class NewEvents:
    """What a unit of work publishes after its commit (cosmicpython's `collect_new_events`).

    It remembers the orders, payments, shifts and refunds its repositories stored (`add`,
    `update`), in that order, and the events no aggregate owns (a flag for review); after the
    commit they leave together. One helper for every unit of work (SQL, in-memory); before the
    commit it writes the same events to the unit of work's outbox (`write_to`,
    application.outbox).
    """

    def __init__(self, clock: Clock, new_id: Callable[[], str]) -> None:
        # When an event is written to the outbox, and its id there.
        self._clock = clock
        self._new_id = new_id
        self._stored: list[Aggregate] = []
        self._recorded: list[DomainEvent] = []
        self._read: dict[int | str, Order | Payment] = {}

    def track(self, repository: R) -> R:
        """Make `repository`'s storing methods (`STORING_METHODS`) remember what they stored,
        and its reads (`READING_METHODS`) what they read, so the outbox describes an order this
        unit of work read without reading it again. A method a repository lacks is skipped."""
        for name in STORING_METHODS:
            method = getattr(repository, name, None)
            if method is not None:
                setattr(repository, name, self._remembering(method))
        for name in READING_METHODS:
            method = getattr(repository, name, None)
            if method is not None:
                setattr(repository, name, self._reading(method))
        return repository

    async def write_to(
        self, outbox: OutboxWriter, *, get_payment: Callable[[str], Awaitable[Payment | None]]
    ) -> None:
        """Append the pending events to `outbox` in the unit of work's own transaction, before
        its commit (application.outbox.drafts_for), describing the orders and payments this
        unit of work stored or read and reading only the others."""
        pending = self.pending()
        if not pending:
            return

        async def order(order_id: int) -> dict[str, Any] | None:
            known = self._read.get(order_id)
            if isinstance(known, Order):
                return order_view(known)
            return await outbox.order_view(order_id)

        async def payment(attempt_id: str) -> Payment | None:
            known = self._read.get(attempt_id)
            return known if isinstance(known, Payment) else await get_payment(attempt_id)

        drafts = await drafts_for(
            pending,
            now=self._clock.now(),
            new_id=self._new_id,
            describe_order=order,
            get_payment=payment,
        )
        await outbox.append(drafts)

    def record(self, event: DomainEvent) -> None:
        self._recorded.append(event)

    def pending(self) -> list[tuple[DomainEvent, Order | Payment | None]]:
        """What `collect_new_events` will hand out, each event with the aggregate that recorded
        it (None for a recorded one), left in place: the outbox writes these before commit."""
        return [
            *(
                # The outbox describes orders and payments; shifts and refunds name their order.
                (event, aggregate if isinstance(aggregate, Order | Payment) else None)
                for aggregate in self._stored
                for event in aggregate.events
            ),
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
        self._read.clear()

    def _remembering(self, store: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def stored(*aggregates: Any) -> None:
            await store(*aggregates)
            for aggregate in aggregates:
                if all(seen is not aggregate for seen in self._stored):
                    self._stored.append(aggregate)

        return stored

    def _reading(self, get: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def read(key: int | str, **options: Any) -> Any:
            found = await get(key, **options)
            # A payment read with its order (PaymentRepository.lock_with_order): both known.
            for aggregate in found if isinstance(found, tuple) else (found,):
                if isinstance(aggregate, Order):
                    self._read[aggregate.key] = aggregate
                elif isinstance(aggregate, Payment):
                    self._read[aggregate.attempt_id] = aggregate
            return found

        return read
