"""One error shape for every failure, and the mapping from errors to HTTP statuses.

Every error body is `{"error": {"code": ..., "message": ..., "details": ...}}` with a stable
`code` (the table is in docs/errors.md). Headers of the exception (`Allow`, `Retry-After`) are
kept. A stack trace never reaches a client.
"""

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_410_GONE,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_502_BAD_GATEWAY,
    HTTP_503_SERVICE_UNAVAILABLE,
    HTTP_504_GATEWAY_TIMEOUT,
)
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError

from application.errors import (
    ApplicationError,
    ConcurrentUpdate,
    Forbidden,
    GatewayError,
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidCredentials,
    InvalidNotification,
    InvalidQuery,
    LoginThrottled,
    NotFound,
    NotificationRejected,
    OrderNotPaid,
    OrderPaid,
    PaymentClosed,
    PaymentInProgress,
    ShiftAlreadyOpen,
    ShiftRequired,
    StaffNameTaken,
    StatusUnconfirmed,
    UnknownEventType,
    WebhookDestinationRefused,
)
from application.order_passes import PassExpired, PassRefused
from domain.errors import (
    AmountMismatch,
    DomainError,
    InsufficientCash,
    InvalidAmount,
    InvalidMenuItem,
    InvalidOrder,
    InvalidRefund,
    InvalidTransition,
    OrderNotPayable,
    OrderNotRefundable,
    ReasonRequired,
    RefundExceedsPaid,
    RefundReferenceRequired,
    ShiftClosed,
)
from domain.staff import InvalidStaffAccount, LastAdmin, WeakPassword
from entrypoints.http.live_status.slots import RETRY_AFTER_SECONDS, TooManyStreams

logger = logging.getLogger("kasir.http")

GENERIC_REJECTION = "the notification was rejected"


class ErrorDetail(msgspec.Struct, kw_only=True):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorBody(msgspec.Struct, kw_only=True):
    """The one shape of every error response."""

    error: ErrorDetail


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    return Response(
        ErrorBody(error=ErrorDetail(code=code, message=message, details=details)),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


_DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidTransition: HTTP_409_CONFLICT,
    OrderNotPayable: HTTP_409_CONFLICT,
    AmountMismatch: HTTP_422_UNPROCESSABLE_ENTITY,
    InsufficientCash: HTTP_422_UNPROCESSABLE_ENTITY,
    InvalidOrder: HTTP_422_UNPROCESSABLE_ENTITY,
    InvalidAmount: HTTP_422_UNPROCESSABLE_ENTITY,
    InvalidMenuItem: HTTP_422_UNPROCESSABLE_ENTITY,
    InvalidStaffAccount: HTTP_422_UNPROCESSABLE_ENTITY,
    WeakPassword: HTTP_422_UNPROCESSABLE_ENTITY,
    LastAdmin: HTTP_409_CONFLICT,
    ShiftClosed: HTTP_409_CONFLICT,
    OrderNotRefundable: HTTP_409_CONFLICT,
    ReasonRequired: HTTP_422_UNPROCESSABLE_ENTITY,
    InvalidRefund: HTTP_422_UNPROCESSABLE_ENTITY,
    RefundExceedsPaid: HTTP_422_UNPROCESSABLE_ENTITY,
    RefundReferenceRequired: HTTP_422_UNPROCESSABLE_ENTITY,
}

_APPLICATION_STATUS: dict[type[ApplicationError], int] = {
    NotFound: HTTP_404_NOT_FOUND,
    Forbidden: HTTP_403_FORBIDDEN,
    PaymentInProgress: HTTP_409_CONFLICT,
    PaymentClosed: HTTP_410_GONE,
    OrderPaid: HTTP_409_CONFLICT,
    ShiftRequired: HTTP_409_CONFLICT,
    ShiftAlreadyOpen: HTTP_409_CONFLICT,
    OrderNotPaid: HTTP_409_CONFLICT,
    InvalidQuery: HTTP_400_BAD_REQUEST,
    GatewayRejected: HTTP_502_BAD_GATEWAY,
    GatewayUnavailable: HTTP_502_BAD_GATEWAY,
    GatewayTimeout: HTTP_504_GATEWAY_TIMEOUT,
    GatewayOutcomeUnknown: HTTP_502_BAD_GATEWAY,
    NotificationRejected: HTTP_403_FORBIDDEN,
    PassRefused: HTTP_403_FORBIDDEN,
    PassExpired: HTTP_410_GONE,
    TooManyStreams: HTTP_429_TOO_MANY_REQUESTS,
    InvalidNotification: HTTP_400_BAD_REQUEST,
    StatusUnconfirmed: HTTP_503_SERVICE_UNAVAILABLE,
    ConcurrentUpdate: HTTP_503_SERVICE_UNAVAILABLE,
    WebhookDestinationRefused: HTTP_422_UNPROCESSABLE_ENTITY,
    UnknownEventType: HTTP_422_UNPROCESSABLE_ENTITY,
    InvalidCredentials: HTTP_401_UNAUTHORIZED,
    LoginThrottled: HTTP_429_TOO_MANY_REQUESTS,
    StaffNameTaken: HTTP_409_CONFLICT,
}

_HTTP_CODES = {
    HTTP_400_BAD_REQUEST: "invalid_request",
    HTTP_401_UNAUTHORIZED: "unauthorized",
    HTTP_403_FORBIDDEN: "forbidden",
    HTTP_404_NOT_FOUND: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    HTTP_409_CONFLICT: "conflict",
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: "request_too_large",
    HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    HTTP_429_TOO_MANY_REQUESTS: "rate_limited",
    HTTP_503_SERVICE_UNAVAILABLE: "service_unavailable",
}


def _status_of(error: Exception, table: dict[type[Any], int], default: int) -> int:
    for kind in type(error).__mro__:
        if kind in table:
            return table[kind]
    return default


def domain_error_handler(_: Request[Any, Any, Any], error: DomainError) -> Response[ErrorBody]:
    return error_response(
        _status_of(error, _DOMAIN_STATUS, HTTP_422_UNPROCESSABLE_ENTITY), error.code, error.message
    )


def application_error_handler(
    _: Request[Any, Any, Any], error: ApplicationError
) -> Response[ErrorBody]:
    status = _status_of(error, _APPLICATION_STATUS, HTTP_409_CONFLICT)
    headers: dict[str, str] = {}
    message = error.message
    if isinstance(error, PaymentInProgress | LoginThrottled):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, TooManyStreams):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(error, StatusUnconfirmed | ConcurrentUpdate):
        headers["Retry-After"] = "5"
    if isinstance(error, NotificationRejected):
        message = GENERIC_REJECTION  # one body for every reason: no oracle for forgers
    if isinstance(error, GatewayError):
        logger.warning("gateway failure %s: %s", error.code, error.detail or error.message)
    return error_response(status, error.code, message, headers=headers or None)


def http_exception_handler(_: Request[Any, Any, Any], error: HTTPException) -> Response[ErrorBody]:
    status = error.status_code
    details: list[dict[str, Any]] | None = None
    message = error.detail
    if isinstance(error, ValidationException):
        message = "the request is malformed"
        extra = error.extra
        if isinstance(extra, list):
            details = [item for item in extra if isinstance(item, dict)]
        elif isinstance(extra, dict):
            details = [extra]
    code = _HTTP_CODES.get(status, "http_error")
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        message, code = "internal error", "internal_error"
    headers = dict(error.headers or {})
    if status == HTTP_429_TOO_MANY_REQUESTS and "Retry-After" not in headers:
        # Litestar's rate limiter sends only RateLimit-* headers; a 429 promises Retry-After.
        headers["Retry-After"] = _seconds(headers.get("RateLimit-Reset"), default=60)
    return error_response(status, code, message, details=details, headers=headers or None)


def _seconds(value: str | None, *, default: int) -> str:
    try:
        return str(max(1, int(value or default)))
    except ValueError:
        return str(default)


def storage_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[ErrorBody]:
    """The database is down or unreachable: ask the client (or Duitku) to come back later."""
    logger.error(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(error).__name__
    )
    return error_response(
        HTTP_503_SERVICE_UNAVAILABLE,
        "service_unavailable",
        "the service is temporarily unavailable",
        headers={"Retry-After": "5"},
    )


def database_error_handler(
    request: Request[Any, Any, Any], error: DBAPIError
) -> Response[ErrorBody]:
    """The database refused a value (a NUL, a number out of range: SQLSTATE class 22) that got
    past the input checks: that is the client's input, so 400 and never 500."""
    if not _is_data_error(error):
        return unexpected_error_handler(request, error)
    logger.warning(
        "database refused a value on %s %s: %s",
        request.method,
        request.url.path,
        type(error.orig).__name__,
    )
    return error_response(
        HTTP_400_BAD_REQUEST, "invalid_request", "a value in the request cannot be stored"
    )


def _is_data_error(error: BaseException) -> bool:
    """SQLAlchemy's DataError, or a driver error of SQLSTATE class 22 ("data exception") that
    SQLAlchemy wrapped as a plain DBAPIError (asyncpg's DataError and its subclasses)."""
    seen: BaseException | None = error
    for _ in range(5):  # the chain is short: DBAPIError -> adapted error -> driver error
        if seen is None:
            return False
        if isinstance(seen, DataError) or str(getattr(seen, "sqlstate", "")).startswith("22"):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def unexpected_error_handler(
    request: Request[Any, Any, Any], error: Exception
) -> Response[ErrorBody]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "internal error")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error_handler,
    ApplicationError: application_error_handler,
    HTTPException: http_exception_handler,
    DBAPIError: database_error_handler,
    OperationalError: storage_error_handler,
    InterfaceError: storage_error_handler,
    OSError: storage_error_handler,
    Exception: unexpected_error_handler,
}


def error_spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


def responses(*statuses: int) -> dict[int, ResponseSpec]:
    """Shared OpenAPI response specs, so the document matches what the handlers send.

    503 is on every operation: any of them answers it when the database is unreachable.
    """
    return {status: error_spec(_DESCRIPTIONS[status]) for status in sorted({*statuses, 503})}


_DESCRIPTIONS = {
    400: "Malformed request (code invalid_request, invalid_query or invalid_notification)",
    401: "Missing or wrong credentials (code unauthorized, or invalid_credentials at sign-in)",
    403: "Not allowed: not staff, or the caller's role may not (forbidden, notification_rejected, "
    "payment_link_invalid, stream_token_invalid, not_your_shift, own_refund_approval)",
    404: "Not found (code not_found)",
    409: "Conflict with the current state (order_not_payable, order_paid, order_not_paid, "
    "invalid_transition, conflict, staff_name_taken, last_admin, shift_required, "
    "shift_already_open, shift_closed, order_not_refundable, payment_in_progress or "
    "idempotency_key_in_flight with Retry-After)",
    410: "Gone: a closed payment attempt's QR is never shown again (payment_closed); an "
    "expired payment link or stream token (payment_link_expired, stream_token_expired)",
    413: "Request body too large (code request_too_large)",
    415: "Unsupported media type (code unsupported_media_type)",
    422: "Rejected by a business rule (amount_mismatch, insufficient_cash, invalid_order, "
    "reason_required, invalid_refund, refund_exceeds_paid, refund_reference_required, "
    "idempotency_key_reused, idempotency_key_unreadable, ...)",
    429: "Too many requests (rate_limited; login_throttled at sign-in; too_many_streams on the "
    "live status stream; with Retry-After)",
    502: (
        "The payment gateway refused or failed (gateway_rejected, gateway_unavailable, "
        "gateway_outcome_unknown)"
    ),
    503: "Temporarily unable; retry later (status_unconfirmed, service_unavailable)",
    504: "The payment gateway did not answer in time (gateway_timeout)",
}
