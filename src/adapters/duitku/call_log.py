"""One log line per Duitku call (logger `kasir.duitku`): never the API key or a signature."""

import logging
import time

from tenacity import RetryCallState

logger = logging.getLogger("kasir.duitku")

_MAX_LOGGED_ORDER_ID = 64


def log_call(
    operation: str,
    order_id: str | None,
    http_status: int | None,
    error: Exception | None,
    started: float,
    **fields: object,
) -> None:
    """Log a call's operation, merchantOrderId, HTTP status, outcome and duration.

    `started` is a `time.perf_counter()` reading. The order id may come from an
    unauthenticated callback, so it is clipped and logged with repr() to neutralise control
    characters. Errors are logged by their message and detail, which never hold secrets.
    """
    duration_ms = (time.perf_counter() - started) * 1000
    outcome = "ok" if error is None else type(error).__name__
    safe_order_id = None if order_id is None else order_id[:_MAX_LOGGED_ORDER_ID]
    details = "".join(f" {key}={value}" for key, value in fields.items())
    if error is not None:
        detail = getattr(error, "detail", None)
        details += f" error={str(error)!r}" + (f" detail={detail!r}" if detail else "")
    logger.log(
        logging.INFO if error is None else logging.WARNING,
        "duitku %s merchantOrderId=%r http_status=%s outcome=%s duration_ms=%.1f%s",
        operation,
        safe_order_id,
        http_status if http_status is not None else "-",
        outcome,
        duration_ms,
        details,
        extra={
            "duitku_operation": operation,
            "merchant_order_id": safe_order_id,
            "http_status": http_status,
            "outcome": outcome,
            "duration_ms": round(duration_ms, 1),
        },
    )


def log_retry(state: RetryCallState) -> None:
    """tenacity `before_sleep` hook: say which attempt failed and how long we wait."""
    error = state.outcome.exception() if state.outcome else None
    logger.warning(
        "duitku transactionStatus attempt %d failed (%s); retrying in %.2fs",
        state.attempt_number,
        type(error).__name__,
        state.upcoming_sleep,
    )
