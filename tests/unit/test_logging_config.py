"""The logging setup uvicorn applies in each worker process is the one `kasir serve` uses."""

import io
import json
import logging
import logging.config
from collections.abc import Iterator

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
