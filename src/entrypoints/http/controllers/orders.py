"""Orders: placed by customers, read with the order's token or by staff, cancelled by staff."""

from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, JSONBody, QueryParameter

from application.callers import Staff
from application.reports import OrderFilter
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.get_order import GetOrder, ListOrders
from application.use_cases.place_order import OrderItemRequest, PlaceOrder, PlaceOrderCommand
from domain.orders import OrderStatus
from domain.payments import PaymentMethod
from entrypoints.http.auth import ORDER_TOKEN_HEADER, order_caller
from entrypoints.http.auth import STAFF_ONLY as STAFF
from entrypoints.http.auth import STAFF_OR_ORDER_TOKEN as ORDER_TOKEN
from entrypoints.http.errors import responses
from entrypoints.http.idempotency import IDEMPOTENT, IdempotencyKey
from entrypoints.http.schemas.constraints import MAX_ID, PathId
from entrypoints.http.schemas.drawer import CancelOrderRequest
from entrypoints.http.schemas.orders import (
    CreatedOrderResponse,
    CreateOrderRequest,
    OrderListResponse,
    OrderResponse,
)
from entrypoints.http.schemas.payments import PaymentResponse
from entrypoints.http.urls import PaymentPageLinks, PublicUrls

OrderToken = Annotated[
    str | None,
    HeaderParameter(
        name=ORDER_TOKEN_HEADER,
        required=False,
        description="The access token returned when the order was placed",
    ),
]


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]  # noqa: RUF012

    @post(
        "/",
        summary="Place an order",
        opt=IDEMPOTENT,
        responses=responses(400, 404, 409, 413, 415, 422, 429),
    )
    async def place(
        self,
        data: JSONBody[CreateOrderRequest],
        place_order: NamedDependency[PlaceOrder],
        payment_page_links: NamedDependency[PaymentPageLinks],
        idempotency_key: IdempotencyKey = None,
    ) -> CreatedOrderResponse:
        placed = await place_order.execute(
            PlaceOrderCommand(
                items=tuple(OrderItemRequest(i.menu_item_id, i.quantity) for i in data.items),
                table_number=data.table_number,
                customer_name=data.customer_name,
            )
        )
        return CreatedOrderResponse(
            **msgspec.structs.asdict(
                OrderResponse.of(
                    placed.order,
                    for_staff=False,
                    payment_page_url=payment_page_links.for_order(placed.order.key),
                )
            ),
            access_token=placed.access_token,
        )

    @get(
        "/{order_id:int}",
        summary="An order with its payments (staff, or the order's own token)",
        security=ORDER_TOKEN,
        responses=responses(400, 404),
    )
    async def read(
        self,
        order_id: PathId,
        urls: NamedDependency[PublicUrls],
        get_order: NamedDependency[GetOrder],
        maybe_staff: NamedDependency[Staff | None],
        payment_page_links: NamedDependency[PaymentPageLinks],
        order_token: OrderToken = None,
    ) -> OrderResponse:
        details = await get_order.execute(order_id, caller=order_caller(maybe_staff, order_token))
        for_staff = maybe_staff is not None
        return OrderResponse.of(
            details.order,
            [
                PaymentResponse.of(p, qris_url=urls.qris_image(p.attempt_id), for_staff=for_staff)
                for p in details.payments
            ],
            for_staff=for_staff,
            # Only a caller who proved access to the order got this far (use case).
            payment_page_url=payment_page_links.for_order(details.order.key),
        )

    @get(
        "/",
        summary="Orders, newest first, filtered, a page at a time (staff)",
        description=(
            "Sorted by (placed_at, id) descending. `next_cursor` continues the list with the "
            "same filters (an opaque string; null on the last page). `method` and `cashier` "
            "match the payment that paid the order. `date_from`/`date_to` are dates in the "
            "restaurant's time zone, both inclusive."
        ),
        security=STAFF,
        responses=responses(400, 401),
    )
    async def list_orders(
        self,
        list_orders: NamedDependency[ListOrders],
        staff: NamedDependency[Staff],
        status: FromQuery[OrderStatus | None] = None,
        method: Annotated[
            PaymentMethod | None, QueryParameter(description="how the order was paid")
        ] = None,
        date_from: Annotated[
            date | None, QueryParameter(description="placed on or after this local date")
        ] = None,
        date_to: Annotated[
            date | None, QueryParameter(description="placed on or before this local date")
        ] = None,
        table: Annotated[
            str | None,
            QueryParameter(min_length=1, max_length=20, description="the table number"),
        ] = None,
        cashier: Annotated[
            str | None,
            QueryParameter(
                min_length=1,
                max_length=255,
                description="the staff id (account:<n> or token:<name>) whose shift took the cash",
            ),
        ] = None,
        cursor: Annotated[
            str | None,
            QueryParameter(
                min_length=1, max_length=200, description="`next_cursor` of the page before"
            ),
        ] = None,
        before_id: Annotated[
            int | None,
            QueryParameter(ge=1, le=MAX_ID, description="only orders with a smaller id"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> OrderListResponse:
        page = await list_orders.execute(
            caller=staff,
            where=OrderFilter(
                status=status,
                method=method,
                table_number=table,
                cashier=cashier,
                before_id=before_id,
            ),
            date_from=date_from,
            date_to=date_to,
            cursor=cursor,
            limit=limit,
        )
        orders = page.orders
        return OrderListResponse(
            items=[OrderResponse.of(order, for_staff=True) for order in orders],
            next_cursor=page.next_cursor,
            next_before_id=orders[-1].key if page.next_cursor is not None else None,
        )

    @post(
        "/{order_id:int}/cancel",
        summary="Void an unpaid order with a reason (cashier, admin)",
        description=(
            "`{reason}` is required (422 reason_required when missing or blank). The open "
            "QRIS attempt is closed with the order: its QR is never shown again."
        ),
        status_code=200,
        security=STAFF,
        responses=responses(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def cancel(
        self,
        order_id: PathId,
        cancel_order: NamedDependency[CancelOrder],
        staff: NamedDependency[Staff],
        data: JSONBody[CancelOrderRequest | None] = None,
    ) -> OrderResponse:
        reason = data.reason if data is not None else None
        cancelled = await cancel_order.execute(order_id, reason=reason, caller=staff)
        return OrderResponse.of(cancelled, for_staff=True)
