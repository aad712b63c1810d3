"""Domain events: facts about what happened, recorded by aggregates and published after commit."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    order_id: int
    total: int


@dataclass(frozen=True, slots=True)
class OrderPaid:
    order_id: int
    order_uid: str


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    order_id: int
    cancelled_by: str


@dataclass(frozen=True, slots=True)
class PaymentRequested:
    order_uid: str
    order_id: int
    method: str
    amount: int


@dataclass(frozen=True, slots=True)
class PaymentIssued:
    order_uid: str
    order_id: int
    gateway_reference: str


@dataclass(frozen=True, slots=True)
class PaymentSucceeded:
    order_uid: str
    order_id: int
    method: str
    amount: int
    previous_status: str


@dataclass(frozen=True, slots=True)
class PaymentFailed:
    order_uid: str
    order_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class PaymentExpired:
    order_uid: str
    order_id: int


@dataclass(frozen=True, slots=True)
class PaymentCancelled:
    order_uid: str
    order_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class PaymentAmountMismatch:
    """The gateway reports the attempt paid with another amount than the attempt's."""

    order_uid: str
    order_id: int
    amount: int
    amount_received: int
    previous_status: str


@dataclass(frozen=True, slots=True)
class PaymentFlaggedForReview:
    """A payment was handed to staff; `reason` is a stable code (see application.review)."""

    order_uid: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class PaymentReviewResolved:
    order_uid: str
    resolved_by: str


@dataclass(frozen=True, slots=True)
class RefundRequired:
    order_uid: str
    order_id: int
    amount: int
    reason: str


@dataclass(frozen=True, slots=True)
class RefundResolved:
    order_uid: str
    order_id: int
    resolved_by: str


DomainEvent = (
    OrderPlaced
    | OrderPaid
    | OrderCancelled
    | PaymentRequested
    | PaymentIssued
    | PaymentSucceeded
    | PaymentFailed
    | PaymentExpired
    | PaymentCancelled
    | PaymentAmountMismatch
    | PaymentFlaggedForReview
    | PaymentReviewResolved
    | RefundRequired
    | RefundResolved
)
