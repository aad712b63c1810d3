"""Why a control request did nothing, the same for every simulator (the control API answers
each with the same status: 404, 400, 409)."""


class TransactionNotFoundError(LookupError):
    """No simulated transaction has this id."""


class InvalidControlRequest(ValueError):
    """A control request with arguments that make no sense (a non-positive amount...)."""


class NotPendingError(Exception):
    """Only a pending transaction can be paid, failed or expired.

    `state` is the transaction's state in the simulator's own words, as the 409 answer shows it.
    """

    def __init__(self, state: str) -> None:
        super().__init__(f"transaction is {state}, not pending")
        self.state = state
