"""Publishes domain events as structured log records, one per event."""

import dataclasses
import logging
from collections.abc import Sequence

from domain.events import DomainEvent

logger = logging.getLogger("kasir.events")


class LoggingEventPublisher:
    """Writes each committed domain event to the `kasir.events` logger.

    Events carry ids, amounts, states and staff names only, never secrets or payer details, so
    they are safe to log whole. The record's `event` and `fields` extras feed the JSON formatter.
    """

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            fields = dataclasses.asdict(event)
            name = type(event).__name__
            logger.info(
                "%s %s",
                name,
                " ".join(f"{key}={value}" for key, value in fields.items()),
                extra={"event": name, "fields": fields},
            )
