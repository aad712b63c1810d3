"""The customer's live view of an order: the payment page's polling answer and each event of
its status stream carry this same document (application.live_status)."""

from datetime import datetime

import msgspec

from application.live_status import OrderLiveView


class ShownQr(msgspec.Struct, kw_only=True):
    """The open attempt's QR, same-origin paths to its images, and when it stops being payable."""

    attempt_id: str = msgspec.field(name="order_uid")
    png_url: str
    svg_url: str
    expires_at: datetime | None


class LiveStatusResponse(msgspec.Struct, kw_only=True):
    """`status`: awaiting_payment, paid, expired or cancelled (the page's `data-status`).

    `qr` is present only while an open attempt may be shown (never a closed QR); `preparing`
    while the gateway is creating one; `may_request_qr` when the customer may ask for a new
    QR; `paid_at` and `reference` (the paying attempt's id) once paid.
    """

    order_id: int
    status: str
    total: int
    qr: ShownQr | None
    preparing: bool
    may_request_qr: bool
    paid_at: datetime | None = None
    reference: str | None = None

    @classmethod
    def of(cls, view: OrderLiveView) -> "LiveStatusResponse":
        shown = view.showing
        return cls(
            order_id=view.order.key,
            status=view.status.value,
            total=view.order.total,
            qr=(
                ShownQr(
                    attempt_id=shown.attempt_id,
                    png_url=f"/api/v1/payments/{shown.attempt_id}/qris.png",
                    svg_url=f"/api/v1/payments/{shown.attempt_id}/qris.svg",
                    expires_at=shown.expires_at,
                )
                if shown is not None
                else None
            ),
            preparing=view.preparing,
            may_request_qr=view.may_request_qr,
            paid_at=view.order.paid_at,
            reference=view.paid_by.attempt_id if view.paid_by is not None else None,
        )
