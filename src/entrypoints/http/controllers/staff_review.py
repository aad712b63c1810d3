"""Staff review: what needs a human (refunds to make, flagged notifications, payments under
review), recording that a refund was made, and resolving a review.

Its routes live under /api/v1/payments beside the customers' ones, as before; only staff reach
them (401 otherwise).
"""

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from application.callers import Staff
from application.inbox import InboxFilter
from application.use_cases.notification_inbox import ListNotifications
from application.use_cases.refunds import ListRefunds, ResolveRefund
from application.use_cases.resolve_payment_review import ResolvePaymentReview
from application.use_cases.run_reconciliation import ListPaymentsNeedingReview
from entrypoints.http.auth import STAFF_ONLY as STAFF
from entrypoints.http.controllers.payments import OrderUid
from entrypoints.http.errors import responses
from entrypoints.http.schemas.inbox import NotificationResponse
from entrypoints.http.schemas.payments import (
    PaymentListResponse,
    PaymentResponse,
    PaymentReviewResponse,
    ResolveRefundRequest,
    ResolveReviewRequest,
    ReviewResolutionResponse,
)
from entrypoints.http.urls import PublicUrls


class StaffReviewController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]  # noqa: RUF012

    @get(
        "/",
        summary="What needs a human: refunds to make, flagged notifications, payments to review "
        "(staff)",
        security=STAFF,
        responses=responses(400, 401),
    )
    async def list_for_staff(
        self,
        urls: NamedDependency[PublicUrls],
        list_refunds: NamedDependency[ListRefunds],
        list_notifications: NamedDependency[ListNotifications],
        list_payments_needing_review: NamedDependency[ListPaymentsNeedingReview],
        staff: NamedDependency[Staff],
        refund_required: FromQuery[bool] = True,
        include_resolved: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> PaymentListResponse:
        needs_review = [
            PaymentReviewResponse(
                payment=PaymentResponse.of(item.payment, qris_url=None, for_staff=True),
                reason=item.review_reason,
                flagged_at=item.review_required_at,
                status_checks=item.check_count,
            )
            for item in await list_payments_needing_review.execute(caller=staff, limit=limit)
        ]
        if not refund_required:
            return PaymentListResponse(items=[], needs_review=needs_review)
        found = await list_refunds.execute(
            caller=staff, open_only=not include_resolved, limit=limit
        )
        flagged = await list_notifications.execute(
            InboxFilter(needs_review=True, limit=limit), caller=staff
        )
        return PaymentListResponse(
            items=[
                PaymentResponse.of(p, qris_url=urls.qris_image(p.attempt_id), for_staff=True)
                for p in found
            ],
            flagged_notifications=[
                NotificationResponse.of(entry)
                for entry in flagged
                if include_resolved or entry.reviewed_at is None
            ],
            needs_review=needs_review,
        )

    @post(
        "/{order_uid:str}/refund/resolve",
        summary="Record that a required refund was made (staff)",
        status_code=200,
        security=STAFF,
        responses=responses(400, 401, 404, 409, 413, 415),
    )
    async def resolve_refund(
        self,
        urls: NamedDependency[PublicUrls],
        order_uid: OrderUid,
        data: JSONBody[ResolveRefundRequest],
        resolve_refund: NamedDependency[ResolveRefund],
        staff: NamedDependency[Staff],
    ) -> PaymentResponse:
        payment = await resolve_refund.execute(order_uid, caller=staff, note=data.note)
        return PaymentResponse.of(
            payment, qris_url=urls.qris_image(payment.attempt_id), for_staff=True
        )

    @post(
        "/{order_uid:str}/review/resolve",
        summary="Dismiss or resolve a payment listed in needs_review (staff)",
        description=(
            "Records who resolved it, when, and the note; the payment leaves `needs_review`. "
            "For an amount mismatch the refund of the amount received is resolved with it. "
            "409 invalid_transition when the payment is not waiting for review."
        ),
        status_code=200,
        security=STAFF,
        responses=responses(400, 401, 404, 409, 413, 415),
    )
    async def resolve_review(
        self,
        order_uid: OrderUid,
        data: JSONBody[ResolveReviewRequest],
        resolve_payment_review: NamedDependency[ResolvePaymentReview],
        staff: NamedDependency[Staff],
    ) -> ReviewResolutionResponse:
        resolved = await resolve_payment_review.execute(order_uid, caller=staff, note=data.note)
        return ReviewResolutionResponse(
            payment=PaymentResponse.of(resolved.payment, qris_url=None, for_staff=True),
            resolved_at=resolved.resolved_at,
            resolved_by=resolved.resolved_by,
            note=resolved.note,
        )
