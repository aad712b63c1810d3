"""Order schemas."""

from datetime import datetime
from typing import Annotated

import msgspec

from domain.orders import Order
from entrypoints.http.schemas.constraints import Id, Quantity, ShortText, TableNumber
from entrypoints.http.schemas.payments import PaymentResponse


class OrderItemRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    menu_item_id: Id
    quantity: Quantity


class CreateOrderRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: Annotated[list[OrderItemRequest], msgspec.Meta(min_length=1, max_length=100)]
    table_number: TableNumber | None = None
    customer_name: ShortText | None = None


class OrderLineResponse(msgspec.Struct, kw_only=True):
    menu_item_id: int
    name: str
    unit_price: int
    quantity: int
    subtotal: int


class OrderResponse(msgspec.Struct, kw_only=True):
    id: int
    status: str
    total: int
    lines: list[OrderLineResponse]
    placed_at: datetime
    table_number: str | None = None
    customer_name: str | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    # What requested and approved refunds reserve of a paid order's total (staff only).
    refund_reserved: int = 0
    payments: list[PaymentResponse] = msgspec.field(default_factory=list)
    # The signed link to the order's payment page (/pay/{id}?sig=...), for its token holder
    # and staff; null for anybody else. It never contains the access token.
    payment_page_url: str | None = None

    @classmethod
    def of(
        cls,
        order: Order,
        payments: list[PaymentResponse] | None = None,
        *,
        for_staff: bool,
        payment_page_url: str | None = None,
    ) -> "OrderResponse":
        """The order as `for_staff` callers see it; customers never see who cancelled it."""
        return cls(
            id=order.key,
            status=order.status.value,
            total=order.total,
            lines=[
                OrderLineResponse(
                    menu_item_id=line.menu_item_id,
                    name=line.name,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    subtotal=line.subtotal,
                )
                for line in order.lines
            ],
            placed_at=order.placed_at,
            table_number=order.table_number,
            customer_name=order.customer_name,
            paid_at=order.paid_at,
            cancelled_at=order.cancelled_at,
            cancelled_by=order.cancelled_by if for_staff else None,
            cancel_reason=order.cancel_reason if for_staff else None,
            refund_reserved=order.refund_reserved if for_staff else 0,
            payments=payments or [],
            payment_page_url=payment_page_url,
        )


class CreatedOrderResponse(OrderResponse, kw_only=True):
    """The new order and its access token, shown this once (only its hash is stored)."""

    access_token: str


class OrderListResponse(msgspec.Struct, kw_only=True):
    """A page of orders, newest first. `next_cursor` fetches the next page (null: the last);
    `next_before_id` is the older way to page (`before_id`), kept for existing clients."""

    items: list[OrderResponse]
    next_cursor: str | None = None
    next_before_id: int | None = None


class StreamTokenResponse(msgspec.Struct, kw_only=True):
    """A token for the order's live status stream, for this order only, until `expires_at`
    (checked when the stream opens). `events_url` is the stream's path with the token."""

    stream_token: str
    expires_at: datetime
    events_url: str
