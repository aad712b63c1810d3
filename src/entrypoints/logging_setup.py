"""Process logging: one JSON object per line, for log collectors."""

import json
import logging
from datetime import UTC, datetime
from typing import Any

from entrypoints.http.request_id import current_request_id

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON with its `extra` fields; exceptions as a `stack` string.

    Every request writes at least its access line through here, so the common case stays
    cheap: the time's text is built once per second (only the microseconds change within
    it), and a record without extras is not copied field by field.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._second = -1
        self._second_text = ""

    def _time(self, created: float) -> str:
        """`datetime.fromtimestamp(created, UTC).isoformat()`, from a per-second cache."""
        second = int(created)
        if second != self._second:
            text = datetime.fromtimestamp(second, UTC).isoformat()
            self._second, self._second_text = second, text[: -len("+00:00")]
        micro = round((created - second) * 1e6)
        if micro >= 1_000_000:  # rounds up into the next second: take the slow way
            return datetime.fromtimestamp(created, UTC).isoformat()
        if micro == 0:
            return f"{self._second_text}+00:00"
        return f"{self._second_text}.{micro:06d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        attributes = vars(record)
        if attributes.keys() - _STANDARD:  # extras, in the order they were given
            entry.update({k: v for k, v in attributes.items() if k not in _STANDARD})
        if record.exc_info:
            entry["stack"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """`configure_logging` as a `logging.config.dictConfig` dictionary, for uvicorn's
    `log_config`: uvicorn applies it in each worker process it starts (`--workers N`), which
    otherwise inherit no logging setup and drop everything below WARNING (access lines,
    domain events, the background job)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }
