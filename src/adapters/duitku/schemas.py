"""Duitku's wire format (API.md §5, §7.2, §9) as msgspec Structs.

Responses declare every field optional and ignore unknown ones, so that an added or missing
field is judged by the gateway code (with a precise error) instead of failing decoding.
"""

import msgspec


class InquiryRequest(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True):
    """Body of `POST v2/inquiry` (request transaction)."""

    merchant_code: str
    payment_amount: int
    payment_method: str
    merchant_order_id: str
    product_details: str
    email: str
    customer_va_name: str
    callback_url: str
    return_url: str
    signature: str
    phone_number: str | None = None
    merchant_user_info: str | None = None
    expiry_period: int | None = None


class InquiryResponse(msgspec.Struct, rename="camel"):
    """Success body of v2 inquiry; `amount` comes as a string in samples, int in the table."""

    merchant_code: str | None = None
    reference: str | None = None
    payment_url: str | None = None
    va_number: str | None = None
    qr_string: str | None = None
    app_url: str | None = None
    amount: str | int | None = None
    status_code: str | None = None
    status_message: str | None = None


class StatusRequest(msgspec.Struct, rename="camel", frozen=True):
    """Body of `POST transactionStatus`."""

    merchant_code: str
    merchant_order_id: str
    signature: str


class StatusResponse(msgspec.Struct, rename="camel"):
    """Body of transactionStatus: `statusCode` 00 paid, 01 pending, 02 failed/expired."""

    merchant_order_id: str | None = None
    reference: str | None = None
    amount: str | int | None = None
    fee: str | int | float | None = None
    status_code: str | None = None
    status_message: str | None = None


class ErrorBody(msgspec.Struct):
    """Non-200 body, shaped like an ASP.NET error: `{"Message": "..."}` (capital M)."""

    message: str | None = msgspec.field(default=None, name="Message")


class NotificationFields(msgspec.Struct, rename="camel", frozen=True):
    """The form fields of a callback that kasir reads (API.md §7.2); others are ignored.

    Decoded from a dict in which empty values were already dropped, so empty equals missing.
    """

    merchant_code: str
    amount: str
    merchant_order_id: str
    signature: str
    result_code: str
    reference: str | None = None
    payment_code: str | None = None
    publisher_order_id: str | None = None
