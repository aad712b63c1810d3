"""Payment schemas: QRIS, cash, reading an attempt, refunds."""

from datetime import datetime

import msgspec

from domain.payments import Payment
from entrypoints.http.schemas.constraints import Email, Id, Note, Phone, Rupiah, ShortText
from entrypoints.http.schemas.inbox import NotificationResponse


class CustomerDetails(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: ShortText
    email: Email
    phone: Phone | None = None


class CreateQrisPaymentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    order_id: Id
    amount: Rupiah
    customer_details: CustomerDetails


class QrisPaymentResponse(msgspec.Struct, kw_only=True):
    transaction_token: str = msgspec.field(name="transaction_token")
    qris_url: str
    attempt_id: str = msgspec.field(name="order_uid")
    qr_string: str
    payment_url: str
    amount: int
    status: str
    expires_at: datetime
    payment_page_url: str  # the signed link to the order's payment page (/pay/{id}?sig=...)


class CashPaymentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    order_id: Id
    amount_tendered: Rupiah


class CashPaymentResponse(msgspec.Struct, kw_only=True):
    attempt_id: str = msgspec.field(name="order_uid")
    order_id: int
    amount: int
    amount_tendered: int
    change_due: int
    taken_by: str
    status: str
    paid_at: datetime


class RefundInfo(msgspec.Struct, kw_only=True):
    """Money to give back. `resolved_by` and `note` are for staff only (null for customers)."""

    amount: int  # what to give back: the amount received (another amount paid) or the attempt's
    required_at: datetime
    reason: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


class PaymentResponse(msgspec.Struct, kw_only=True):
    attempt_id: str = msgspec.field(name="order_uid")
    order_id: int
    method: str
    status: str
    amount: int
    created_at: datetime
    updated_at: datetime
    status_reason: str | None = None
    transaction_token: str | None = None
    qr_string: str | None = None
    qris_url: str | None = None
    payment_url: str | None = None
    expires_at: datetime | None = None
    paid_at: datetime | None = None
    amount_tendered: int | None = None
    change_due: int | None = None
    taken_by: str | None = None
    closed_reason: str | None = None  # amount_mismatch: the gateway reports another amount paid
    amount_received: int | None = None
    refund: RefundInfo | None = None

    @classmethod
    def of(cls, payment: Payment, *, qris_url: str | None, for_staff: bool) -> "PaymentResponse":
        """The attempt as `for_staff` callers see it; customers (an order token, or the
        attempt's uid) never see staff names or refund notes."""
        refund = None
        if payment.refund_required_at is not None:
            refund = RefundInfo(
                amount=payment.refund_amount or 0,
                required_at=payment.refund_required_at,
                reason=payment.refund_reason,
                resolved_at=payment.refund_resolved_at,
                resolved_by=payment.refund_resolved_by if for_staff else None,
                note=payment.refund_note if for_staff else None,
            )
        return cls(
            attempt_id=payment.attempt_id,
            order_id=payment.order_id,
            method=payment.method.value,
            status=payment.status.value,
            amount=payment.amount,
            created_at=payment.created_at,
            updated_at=payment.updated_at,
            status_reason=payment.status_reason,
            transaction_token=payment.gateway_reference,
            # A closed attempt's QR stays payable at the gateway: it is never shown again.
            qr_string=payment.qr_string if payment.shows_qr else None,
            qris_url=qris_url if payment.shows_qr else None,
            payment_url=payment.payment_url if payment.shows_qr else None,
            expires_at=payment.expires_at,
            paid_at=payment.paid_at,
            amount_tendered=payment.cash_tendered,
            change_due=payment.change_due,
            taken_by=payment.taken_by if for_staff else None,
            closed_reason=payment.closed_reason.value if payment.closed_reason else None,
            amount_received=payment.amount_received,
            refund=refund,
        )


class PaymentReviewResponse(msgspec.Struct, kw_only=True):
    """An attempt the reconciliation job handed to a human, and why."""

    payment: PaymentResponse
    reason: str
    flagged_at: datetime
    status_checks: int


class PaymentListResponse(msgspec.Struct, kw_only=True):
    """Payments for staff to act on, and notifications flagged for a human (not yet reviewed).

    `needs_review`: attempts handed to staff (the gateway still holds them open a day after
    expiry, reports another amount paid, contradicts a signed success, or keeps refusing the
    status check), until they succeed or a staff member resolves the review.
    """

    items: list[PaymentResponse]
    flagged_notifications: list[NotificationResponse] = msgspec.field(default_factory=list)
    needs_review: list[PaymentReviewResponse] = msgspec.field(default_factory=list)


class ResolveRefundRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Note


class ResolveReviewRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What the staff member found or did (dismissed, refunded, asked Duitku, fixed the key)."""

    note: Note


class ReviewResolutionResponse(msgspec.Struct, kw_only=True):
    """A review a staff member resolved: the payment as it is now, who, when, and the note."""

    payment: PaymentResponse
    resolved_at: datetime
    resolved_by: str
    note: str


class NotificationAck(msgspec.Struct, kw_only=True):
    """Duitku only needs HTTP 200; the outcome helps operators reading their logs."""

    status: str
    outcome: str
