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
