"""Every committed domain event is one `kasir.events` record: its name, then its fields as
`key=value`, with the same fields as structured extras for the JSON line."""

import logging

import pytest

from adapters.observability.event_log import LoggingEventPublisher
from domain.events import OrderPaid, PaymentFailed


async def test_each_event_is_one_record_naming_it_with_its_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="kasir.events"):
        await LoggingEventPublisher().publish(
            [OrderPaid(order_id=7, attempt_id="KSR-1"), PaymentFailed("KSR-1", 7, "expired")]
        )

    paid, failed = caplog.records
    assert paid.getMessage() == "OrderPaid order_id=7 order_uid=KSR-1"
    assert (paid.event, paid.fields) == ("OrderPaid", {"order_id": 7, "order_uid": "KSR-1"})  # type: ignore[attr-defined]
    assert failed.getMessage() == "PaymentFailed order_uid=KSR-1 order_id=7 reason=expired"


async def test_nothing_is_written_when_the_events_logger_is_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="kasir.events"):
        await LoggingEventPublisher().publish([OrderPaid(order_id=7, attempt_id="KSR-1")])

    assert caplog.records == []
