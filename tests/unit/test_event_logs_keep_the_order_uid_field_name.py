"""Event log records keep the field name order_uid for an attempt's id: log field names are
visible (queries, dashboards), and only the code calls it attempt_id."""

import logging

import pytest

from adapters.observability.event_log import LoggingEventPublisher
from domain.events import OrderPaid, PaymentExpired


async def test_event_logs_name_the_attempt_order_uid_as_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kasir.events")

    await LoggingEventPublisher().publish([OrderPaid(7, "KSR-1"), PaymentExpired("KSR-2", 8)])

    logged = [(record.getMessage(), record.__dict__["fields"]) for record in caplog.records]
    assert logged == [
        ("OrderPaid order_id=7 order_uid=KSR-1", {"order_id": 7, "order_uid": "KSR-1"}),
        ("PaymentExpired order_uid=KSR-2 order_id=8", {"order_uid": "KSR-2", "order_id": 8}),
    ]
