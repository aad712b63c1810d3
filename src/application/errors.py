"""Application errors with stable machine-readable codes that the HTTP layer maps to statuses."""


class ApplicationError(Exception):
    """A use case could not do what was asked. `code` is stable; `message` is safe to show."""

    code = "application_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ApplicationError):
    code = "not_found"


class Forbidden(ApplicationError):
    """The caller is known but may not do this (not staff, or a role without the right)."""

    code = "forbidden"


class Conflict(ApplicationError):
    code = "conflict"


class PaymentClosed(ApplicationError):
    """The attempt is no longer open, so its QR is never shown again (it may still be payable
    at the gateway, which cannot cancel it, until it expires there)."""

    code = "payment_closed"


class OrderPaid(ApplicationError):
    """The order was just paid another way (its QR was paid): take no more money for it."""

    code = "order_paid"


class OrderNotPaid(ApplicationError):
    """The order is not paid (yet, or cancelled): it has no receipt."""

    code = "order_not_paid"


class InvalidQuery(ApplicationError):
    """A list or report query that cannot be answered: a malformed cursor, a date range that
    ends before it starts. Nothing is read."""

    code = "invalid_query"


class PaymentInProgress(ApplicationError):
    """An attempt is still waiting for the gateway's answer; ask again after `retry_after` s."""

    code = "payment_in_progress"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GatewayError(ApplicationError):
    """Base of the gateway failures. `detail` keeps the gateway's message for the operator."""

    code = "gateway_error"

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class GatewayRejected(GatewayError):
    """The gateway refused the request (bad amount, channel off, ...): nothing was created."""

    code = "gateway_rejected"


class GatewayUnavailable(GatewayError):
    code = "gateway_unavailable"


class GatewayOutcomeUnknown(GatewayError):
    """The request may have been taken (a 5xx or unreadable answer to a create call): nothing
    is known until a status check resolves it. Never a reason to create again."""

    code = "gateway_outcome_unknown"


class GatewayTimeout(GatewayOutcomeUnknown):
    """No answer in time: the outcome is unknown until a status check resolves it."""

    code = "gateway_timeout"


class NotificationRejected(ApplicationError):
    """A notification failed verification (signature, merchant code, source)."""

    code = "notification_rejected"


class InvalidNotification(ApplicationError):
    """A notification is missing fields or has malformed ones."""

    code = "invalid_notification"


class StatusUnconfirmed(ApplicationError):
    """The gateway could not confirm a notification yet; the sender should retry later."""

    code = "status_unconfirmed"


class ConcurrentUpdate(ApplicationError):
    """Another transaction changed the row first; the use case re-reads and decides again."""

    code = "concurrent_update"


class StatusCheckDeferred(ApplicationError):
    """The gateway was asked about this attempt moments ago; ask again after `retry_after` s."""

    code = "status_check_deferred"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WebhookDestinationRefused(ApplicationError):
    """A subscription URL kasir may not call (application.destinations says why)."""

    code = "webhook_destination_refused"


class UnknownEventType(ApplicationError):
    """A subscription asked for an event type kasir does not publish."""

    code = "unknown_event_type"


class InvalidCredentials(ApplicationError):
    """A sign-in failed. One answer for an unknown name, a wrong password and a deactivated
    account, so it never tells which part was wrong or which names exist."""

    code = "invalid_credentials"


class LoginThrottled(ApplicationError):
    """Too many failed sign-ins for this name from this address: wait `retry_after` seconds."""

    code = "login_throttled"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StaffNameTaken(ApplicationError):
    """Another account already has this name (names are compared ignoring case)."""

    code = "staff_name_taken"


class ShiftRequired(ApplicationError):
    """Cash goes into a drawer: the staff member needs an open shift (POST /api/v1/shifts)."""

    code = "shift_required"


class ShiftAlreadyOpen(ApplicationError):
    """The staff member already has an open shift: one drawer per person at a time."""

    code = "shift_already_open"


class NotYourShift(Forbidden):
    """Only the shift's own cashier, or an admin, acts on a shift or reads its report."""

    code = "not_your_shift"


class OwnRefundApproval(Forbidden):
    """The staff member who requested a refund never approves or rejects it."""

    code = "own_refund_approval"
