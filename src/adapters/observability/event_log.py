"""Publishes domain events as structured log records, one per event."""

import dataclasses
import logging
from collections.abc import Sequence

from domain.events import DomainEvent

logger = logging.getLogger("kasir.events")

# Log field names are visible (queries, dashboards, alerts): an event's `attempt_id` is
# logged under the attempt's outside name, as before.
_LOGGED_AS = {"attempt_id": "order_uid"}


_FIELD_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


def _field_names(kind: type[DomainEvent]) -> tuple[tuple[str, str], ...]:
    """Each field's attribute name and the name it is logged under."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(
            (field.name, _LOGGED_AS.get(field.name, field.name))
            for field in dataclasses.fields(kind)
        )
    return names


class _Fields:
    """The message's `key=value` list, written only if a handler formats the record."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, object]) -> None:
        self._fields = fields

    def __str__(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self._fields.items())


class LoggingEventPublisher:
    """Writes each committed domain event to the `kasir.events` logger.

    Events carry ids, amounts, states and staff names only, never secrets or payer details, so
    they are safe to log whole. The record's `event` and `fields` extras feed the JSON formatter.
    An event's fields are scalars, read straight off the frozen dataclass (no deep copy); the
    message text is built only when the record is formatted, and nothing at all is built when
    the logger is off.
    """

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        for event in events:
            kind: type[DomainEvent] = type(event)
            fields = {logged: getattr(event, name) for name, logged in _field_names(kind)}
            name = kind.__name__
            logger.info("%s %s", name, _Fields(fields), extra={"event": name, "fields": fields})
