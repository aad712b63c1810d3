"""Midtrans Core API bodies (docs.midtrans.com: QRIS charge, get-status, notifications)."""

import msgspec


class TransactionDetails(msgspec.Struct, frozen=True):
    order_id: str
    gross_amount: int  # whole rupiah: Midtrans refuses decimals in requests


class QrisOptions(msgspec.Struct, frozen=True):
    acquirer: str


class CustomExpiry(msgspec.Struct, frozen=True):
    """Without `order_time` Midtrans counts from the charge itself (no clock skew to mind)."""

    expiry_duration: int
    unit: str = "minute"


class CustomerDetails(msgspec.Struct, frozen=True, omit_defaults=True):
    first_name: str
    email: str
    phone: str | None = None


class ChargeRequest(msgspec.Struct, frozen=True):
    payment_type: str
    transaction_details: TransactionDetails
    qris: QrisOptions
    custom_expiry: CustomExpiry
    customer_details: CustomerDetails


class Action(msgspec.Struct, frozen=True):
    name: str | None = None
    method: str | None = None
    url: str | None = None


class TransactionAnswer(msgspec.Struct, frozen=True):
    """A charge or status answer (and an error answer: only `status_code` and the message).

    Midtrans puts its own status in the body (`status_code` "201" pending, "200" settled,
    "404" unknown, "406" duplicate order id...), whatever the HTTP status says.
    """

    status_code: str | None = None
    status_message: str | None = None
    transaction_id: str | None = None
    order_id: str | None = None
    gross_amount: str | None = None
    transaction_status: str | None = None
    fraud_status: str | None = None
    qr_string: str | None = None
    actions: list[Action] = msgspec.field(default_factory=list)
    expiry_time: str | None = None


class NotificationBody(msgspec.Struct, frozen=True):
    """The fields of a notification kasir relies on, as strings exactly as received."""

    order_id: str
    status_code: str
    gross_amount: str
    signature_key: str
    transaction_status: str
    transaction_id: str | None = None
    fraud_status: str | None = None
