"""Receipts of paid orders, for staff and for the holder of the order's token."""

from typing import Annotated, Literal

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.callers import Staff
from application.use_cases.receipts import GetReceipt
from entrypoints.http.alternate_formats import alternate_formats
from entrypoints.http.auth import STAFF_OR_ORDER_TOKEN, order_caller
from entrypoints.http.controllers.orders import OrderToken
from entrypoints.http.errors import responses
from entrypoints.http.schemas.constraints import PathId
from entrypoints.http.schemas.reports import ReceiptResponse
from entrypoints.receipt_text import PaperWidth, render

TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"
# Every copy is counted and holds personal data: never served from a cache.
NO_STORE = {"Cache-Control": "no-store"}


class ReceiptController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]  # noqa: RUF012

    @get(
        "/{order_id:int}/receipt",
        summary="The receipt of a paid order (staff, or the order's own token)",
        description=(
            "Every call issues one more copy: the first is the original, later ones are "
            "marked as reprints (CETAK ULANG / REPRINT). `format=text` lays it out for a "
            "thermal printer `width` columns wide (48: 80 mm paper, 32: 58 mm). An order that "
            "is not paid answers 409 order_not_paid. A customer's copy never names the cashier."
        ),
        security=STAFF_OR_ORDER_TOKEN,
        operation_class=alternate_formats("text/plain"),
        responses=responses(400, 404, 409),
    )
    async def receipt(
        self,
        order_id: PathId,
        get_receipt: NamedDependency[GetReceipt],
        maybe_staff: NamedDependency[Staff | None],
        order_token: OrderToken = None,
        format: Annotated[
            Literal["json", "text"], QueryParameter(description="json (default) or text")
        ] = "json",
        width: Annotated[
            Literal[48, 32],
            QueryParameter(description="columns of the text layout: 48 (80 mm) or 32 (58 mm)"),
        ] = 48,
    ) -> Response[ReceiptResponse]:
        receipt = await get_receipt.execute(order_id, caller=order_caller(maybe_staff, order_token))
        if format == "text":
            paper: PaperWidth = width
            return Response(
                render(receipt, paper),  # type: ignore[arg-type]
                media_type=TEXT_MEDIA_TYPE,
                headers=NO_STORE,
            )
        return Response(ReceiptResponse.of(receipt), media_type=MediaType.JSON, headers=NO_STORE)
