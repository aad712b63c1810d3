"""An aggregate's events leave (to listeners after commit, to the outbox before it) only when
the unit of work knows it was stored: `NewEvents.track` wraps the repository methods named in
`STORING_METHODS`. A port method that takes an order, a payment, a shift or a refund under
another name would store it with its events silently dropped, so no port may have one."""

import inspect
import typing
from collections.abc import Iterator
from typing import Any

from application import ports
from application.events import STORING_METHODS, Aggregate
from domain.orders import Order
from domain.payments import Payment

AGGREGATES = set(typing.get_args(Aggregate))


def _mentions_an_aggregate(annotation: Any) -> bool:
    if annotation in AGGREGATES:
        return True
    return any(_mentions_an_aggregate(inner) for inner in typing.get_args(annotation))


def _methods_taking_an_aggregate() -> Iterator[tuple[str, str]]:
    for port_name, port in vars(ports).items():
        if not (inspect.isclass(port) and getattr(port, "_is_protocol", False)):
            continue
        for method_name, method in vars(port).items():
            if method_name.startswith("_") or not inspect.isfunction(method):
                continue
            hints = typing.get_type_hints(method)
            hints.pop("return", None)
            if any(_mentions_an_aggregate(hint) for hint in hints.values()):
                yield port_name, method_name


def test_every_port_method_that_takes_an_aggregate_is_one_whose_events_are_collected() -> None:
    found = set(_methods_taking_an_aggregate())

    # The check sees the storing methods there are (it would pass vacuously otherwise).
    assert {
        ("OrderRepository", "add"),
        ("PaymentRepository", "update_with_order"),
        ("ShiftRepository", "update"),
        ("RefundRepository", "add"),
    } <= found
    assert [(port, method) for port, method in found if method not in STORING_METHODS] == []


def test_an_aggregate_nested_in_a_parameter_type_counts_as_taking_it() -> None:
    assert _mentions_an_aggregate(list[Order])
    assert _mentions_an_aggregate(tuple[Payment, int] | None)
    assert not _mentions_an_aggregate(list[int])
