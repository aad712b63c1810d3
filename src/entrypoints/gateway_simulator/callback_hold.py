"""What the network between a gateway and the merchant may do to callbacks, the same for
every gateway: hold them, then release them late, duplicated or reordered, or drop them.

A transaction keeps its held callbacks as the gateway would have sent them (a signed form or
JSON body); this module only keeps, orders and sends them through the gateway's sender.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from entrypoints.gateway_simulator.delivery import DeliveryAttempt, deliveries_view
from entrypoints.gateway_simulator.errors import InvalidControlRequest

BodyT = TypeVar("BodyT")
TransactionT = TypeVar("TransactionT")

Deliver = Callable[[str, BodyT], Awaitable[list[DeliveryAttempt]]]


class HoldsCallbacks(Protocol[BodyT]):
    """A simulated transaction's callback state."""

    holding_callbacks: bool
    held_callbacks: list[BodyT]
    deliveries: list[DeliveryAttempt]


@dataclass(frozen=True, slots=True)
class Released(Generic[BodyT]):
    """One held callback sent on release: its index when held, the body and how it went."""

    index: int
    body: BodyT
    deliveries: list[DeliveryAttempt]


@dataclass(frozen=True, slots=True)
class ReleaseOutcome(Generic[TransactionT, BodyT]):
    """What a release sent, in order, and the transaction (with what is still held)."""

    transaction: TransactionT
    released: list[Released[BodyT]]


def hold(transaction: HoldsCallbacks[BodyT]) -> None:
    """Keep this transaction's callbacks from now on instead of sending them."""
    transaction.holding_callbacks = True


async def send_or_hold(
    transaction: HoldsCallbacks[BodyT], url: str, body: BodyT, deliver: Deliver[BodyT]
) -> list[DeliveryAttempt]:
    """Send a new callback now, or keep it while the transaction's callbacks are held."""
    if transaction.holding_callbacks:
        transaction.held_callbacks.append(body)
        return []
    deliveries = await deliver(url, body)
    transaction.deliveries.extend(deliveries)
    return deliveries


async def release(
    transaction: HoldsCallbacks[BodyT],
    url: str,
    deliver: Deliver[BodyT],
    *,
    order: list[int] | None,
    keep_holding: bool,
) -> list[Released[BodyT]]:
    """Send held callbacks: all in the order they were held, or those at the indices of
    ``order`` in that order (an index repeated sends a duplicate). Sent callbacks leave
    the hold; with ``keep_holding`` later callbacks are still held, otherwise they are
    sent as they happen again."""
    held = list(transaction.held_callbacks)
    indices = list(range(len(held))) if order is None else order
    if any(type(i) is not int or not 0 <= i < len(held) for i in indices):
        raise InvalidControlRequest(f"order must list indices of the {len(held)} held callbacks")
    transaction.held_callbacks = [body for i, body in enumerate(held) if i not in indices]
    transaction.holding_callbacks = keep_holding
    released: list[Released[BodyT]] = []
    for index in indices:
        deliveries = await deliver(url, held[index])
        transaction.deliveries.extend(deliveries)
        released.append(Released(index, held[index], deliveries))
    return released


def drop(transaction: HoldsCallbacks[BodyT], *, keep_holding: bool) -> None:
    """Forget every held callback, as if the network lost them all."""
    transaction.held_callbacks = []
    transaction.holding_callbacks = keep_holding


def hold_view(
    transaction: HoldsCallbacks[BodyT], held_view: Callable[[int, BodyT], dict[str, Any]]
) -> dict[str, Any]:
    """JSON shape of the hold: whether it is on, and a summary of each callback it keeps."""
    return {
        "holding_callbacks": transaction.holding_callbacks,
        "held_callbacks": [held_view(i, body) for i, body in enumerate(transaction.held_callbacks)],
    }


def released_view(
    released: list[Released[BodyT]], held_view: Callable[[int, BodyT], dict[str, Any]]
) -> list[dict[str, Any]]:
    """JSON shape of what a release sent, in order: which callback and how it went."""
    return [
        held_view(item.index, item.body) | deliveries_view(item.deliveries) for item in released
    ]


HeldT = TypeVar("HeldT", bound=HoldsCallbacks[Any])


@dataclass(frozen=True, slots=True)
class CallbackControls(Generic[HeldT, BodyT]):
    """Hold, release and drop one simulator's callbacks by transaction id, as the control
    routes call them: the simulator says how to find a transaction, where its callbacks go
    and how to send one."""

    inspect: Callable[[str], HeldT]
    url_of: Callable[[HeldT], str]
    deliver: Deliver[BodyT]

    def hold(self, uid: str) -> HeldT:
        transaction = self.inspect(uid)
        hold(transaction)
        return transaction

    async def release(
        self, uid: str, order: list[int] | None, keep_holding: bool
    ) -> ReleaseOutcome[HeldT, BodyT]:
        transaction = self.inspect(uid)
        released = await release(
            transaction,
            self.url_of(transaction),
            self.deliver,
            order=order,
            keep_holding=keep_holding,
        )
        return ReleaseOutcome(transaction, released)

    def drop(self, uid: str, keep_holding: bool) -> HeldT:
        transaction = self.inspect(uid)
        drop(transaction, keep_holding=keep_holding)
        return transaction
