"""Refunds of paid orders: requested by staff, approved or rejected by another admin."""

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from application.callers import Staff
from application.use_cases.refund_requests import (
    ApproveRefund,
    ListRefundRequests,
    RefundRequest,
    RejectRefund,
    RequestRefund,
)
from domain.refunds import RefundLine, RefundStatus
from entrypoints.http.auth import STAFF_ONLY as STAFF
from entrypoints.http.errors import responses
from entrypoints.http.idempotency import IDEMPOTENT, IdempotencyKey
from entrypoints.http.schemas.constraints import PathId
from entrypoints.http.schemas.drawer import (
    ApproveRefundRequest,
    RefundListResponse,
    RefundRequestBody,
    RefundResponse,
    RejectRefundRequest,
)


class OrderRefundController(Controller):
    path = "/api/v1/orders"
    tags = ["refunds"]  # noqa: RUF012

    @post(
        "/{order_id:int}/refunds",
        summary="Request a refund of a paid order, by amount or by lines (cashier, admin)",
        description=(
            "`{amount, reason}` or `{lines: [{line_no, quantity}], reason}`, not both (422 "
            "invalid_refund). Never above what was paid less earlier requested and approved "
            "refunds (422 refund_exceeds_paid). A cashier's request, or one above "
            "REFUND_APPROVAL_THRESHOLD, waits for an admin (`status: requested`); an admin's "
            "at or below it is approved at once (`status: approved`). Send an Idempotency-Key "
            "so that a retried request does not ask twice."
        ),
        security=STAFF,
        opt=IDEMPOTENT,
        responses=responses(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def request_refund(
        self,
        order_id: PathId,
        data: JSONBody[RefundRequestBody],
        request_refund: NamedDependency[RequestRefund],
        staff: NamedDependency[Staff],
        idempotency_key: IdempotencyKey = None,
    ) -> RefundResponse:
        lines = None
        if data.lines is not None:
            lines = [RefundLine(line.line_no, line.quantity) for line in data.lines]
        refund = await request_refund.execute(
            RefundRequest(
                order_id=order_id,
                reason=data.reason or "",
                amount=data.amount,
                lines=lines,
                reference=data.reference,
            ),
            caller=staff,
        )
        return RefundResponse.of(refund)


class RefundController(Controller):
    path = "/api/v1/refunds"
    tags = ["refunds"]  # noqa: RUF012

    @get(
        "/",
        summary="Refunds, newest first (cashier, admin); `status=requested` for the waiting ones",
        security=STAFF,
        responses=responses(400, 401, 403),
    )
    async def list_refunds(
        self,
        list_refund_requests: NamedDependency[ListRefundRequests],
        staff: NamedDependency[Staff],
        status: FromQuery[RefundStatus | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> RefundListResponse:
        found = await list_refund_requests.execute(caller=staff, status=status, limit=limit)
        return RefundListResponse(items=[RefundResponse.of(refund) for refund in found])

    @post(
        "/{refund_id:int}/approve",
        summary="Approve a refund: the money goes back (admin, never the requester)",
        description=(
            "A cash refund comes out of the requester's open shift, or the approver's when "
            "the requester's closed (409 shift_required with neither). A QRIS refund is made "
            "by hand and needs its `reference` (422 refund_reference_required). 403 "
            "own_refund_approval for the requester."
        ),
        status_code=200,
        security=STAFF,
        responses=responses(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def approve(
        self,
        refund_id: PathId,
        approve_refund: NamedDependency[ApproveRefund],
        staff: NamedDependency[Staff],
        data: JSONBody[ApproveRefundRequest | None] = None,
    ) -> RefundResponse:
        reference = data.reference if data is not None else None
        refund = await approve_refund.execute(refund_id, reference=reference, caller=staff)
        return RefundResponse.of(refund)

    @post(
        "/{refund_id:int}/reject",
        summary="Reject a refund; its amount may be refunded again (admin, never the requester)",
        status_code=200,
        security=STAFF,
        responses=responses(400, 401, 403, 404, 409, 413, 415),
    )
    async def reject(
        self,
        refund_id: PathId,
        reject_refund: NamedDependency[RejectRefund],
        staff: NamedDependency[Staff],
        data: JSONBody[RejectRefundRequest | None] = None,
    ) -> RefundResponse:
        note = data.note if data is not None else None
        refund = await reject_refund.execute(refund_id, note=note, caller=staff)
        return RefundResponse.of(refund)
