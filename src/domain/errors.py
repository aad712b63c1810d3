"""Errors raised when a business rule is broken; each carries a stable machine-readable code."""


class DomainError(Exception):
    """A business rule was broken. `code` is stable and safe to show to clients."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidTransition(DomainError):
    """The requested state change is not allowed from the current state."""

    code = "invalid_transition"


class AmountMismatch(DomainError):
    """An amount differs from the one the rule requires (the order total, the attempt amount)."""

    code = "amount_mismatch"


class InvalidAmount(DomainError):
    """An amount of money is not a non-negative whole number of rupiah."""

    code = "invalid_amount"


class InsufficientCash(DomainError):
    """The cash tendered is less than the order total."""

    code = "insufficient_cash"


class InvalidOrder(DomainError):
    """An order cannot be placed as requested (no lines, bad quantity, unavailable item)."""

    code = "invalid_order"


class OrderNotPayable(DomainError):
    """The order is already paid or cancelled, so it takes no new payment."""

    code = "order_not_payable"


class InvalidMenuItem(DomainError):
    """A menu item's name or price is not acceptable."""

    code = "invalid_menu_item"


class ShiftClosed(DomainError):
    """The shift is closed: a closed shift (its Z report) never changes again."""

    code = "shift_closed"


class ReasonRequired(DomainError):
    """A void, a refund, a paid-in or a paid-out needs a reason that is not blank."""

    code = "reason_required"


class InvalidRefund(DomainError):
    """A refund request names no amount and no lines, both, or lines the order does not have."""

    code = "invalid_refund"


class RefundExceedsPaid(DomainError):
    """A refund would give back more than was paid for the order, less earlier refunds."""

    code = "refund_exceeds_paid"


class OrderNotRefundable(DomainError):
    """Only a paid order is refunded (an unpaid one is voided instead)."""

    code = "order_not_refundable"


class RefundReferenceRequired(DomainError):
    """A QRIS refund is made by hand (bank transfer, gateway dashboard): approving it records
    the reference of that transfer."""

    code = "refund_reference_required"
