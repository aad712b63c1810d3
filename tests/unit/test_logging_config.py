"""The logging setup uvicorn applies in each worker process is the one `kasir serve` uses."""

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from entrypoints.logging_setup import JsonFormatter, logging_config


@pytest.fixture
def restored_root() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_worker_logging_config_writes_json_lines_at_the_configured_level(
    restored_root: logging.Logger,
) -> None:
    logging.config.dictConfig(logging_config("info"))

    assert restored_root.level == logging.INFO
    [handler] = restored_root.handlers
    assert isinstance(handler.formatter, JsonFormatter)
    stream = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    logging.getLogger("kasir.events").info("OrderPaid order_id=1", extra={"event": "OrderPaid"})
    line = json.loads(stream.getvalue())
    assert line["logger"] == "kasir.events"
    assert line["event"] == "OrderPaid"


@pytest.mark.parametrize(
    "created",
    [0.0, 1.5, 1_764_534_000.0, 1_764_534_000.123456, 1_764_534_000.9999996, 1_764_534_059.999999],
)
def test_a_line_tells_the_records_time_in_utc_to_the_microsecond(created: float) -> None:
    formatter = JsonFormatter()
    formatter.format(logging.makeLogRecord({"created": created - 1}))  # another second first

    record = logging.makeLogRecord({"created": created, "msg": "x"})

    expected = datetime.fromtimestamp(created, UTC).isoformat()
    assert json.loads(formatter.format(record))["time"] == expected


def test_a_records_extras_follow_its_standard_fields_in_the_order_given() -> None:
    record = logging.makeLogRecord({"msg": "paid %s", "args": ("KSR-1",), "b": 1, "a": [2]})

    line = json.loads(JsonFormatter().format(record))

    assert list(line) == ["time", "level", "logger", "message", "b", "a"]
    assert line["message"] == "paid KSR-1"
    assert (line["b"], line["a"]) == (1, [2])
