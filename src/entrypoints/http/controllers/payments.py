"""Payments: QRIS for customers, cash for staff, reading attempts, QR images.

Staff review (refunds, flagged items) has its own controller: controllers/staff_review.py.
"""

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter

from application.callers import Staff
from application.errors import PaymentClosed
from application.gateway import Customer
from application.use_cases.get_payment import GetPayment
from application.use_cases.pay_cash import PayCash
from application.use_cases.start_qris_payment import StartQrisPayment, StartQrisPaymentCommand
from entrypoints.http.auth import STAFF_ONLY as STAFF
from entrypoints.http.auth import STAFF_OR_ORDER_TOKEN as ORDER_TOKEN
from entrypoints.http.auth import order_caller
from entrypoints.http.controllers.orders import OrderToken
from entrypoints.http.errors import responses
from entrypoints.http.idempotency import IDEMPOTENT, IdempotencyKey
from entrypoints.http.qr_images import MEDIA_TYPES, ImageKind, render_qr
from entrypoints.http.schemas.payments import (
    CashPaymentRequest,
    CashPaymentResponse,
    CreateQrisPaymentRequest,
    PaymentResponse,
    QrisPaymentResponse,
)
from entrypoints.http.urls import PaymentPageLinks, PublicUrls

OrderUid = Annotated[str, PathParameter(min_length=1, max_length=50)]


class PaymentController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]  # noqa: RUF012

    @post(
        "/qris",
        summary="Create (or get the pending) QRIS payment of an order",
        description="201 with a new attempt; 200 with the attempt still pending for the order.",
        security=ORDER_TOKEN,
        opt=IDEMPOTENT,
        responses={
            200: ResponseSpec(
                data_container=QrisPaymentResponse,
                description="The attempt still pending for this order, handed out again",
                generate_examples=False,
            ),
            **responses(400, 404, 409, 410, 413, 415, 422, 429, 502, 504),
        },
    )
    async def start_qris(
        self,
        urls: NamedDependency[PublicUrls],
        data: JSONBody[CreateQrisPaymentRequest],
        start_qris_payment: NamedDependency[StartQrisPayment],
        maybe_staff: NamedDependency[Staff | None],
        payment_page_links: NamedDependency[PaymentPageLinks],
        order_token: OrderToken = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[QrisPaymentResponse]:
        customer = data.customer_details
        started = await start_qris_payment.execute(
            StartQrisPaymentCommand(
                order_id=data.order_id,
                amount=data.amount,
                customer=Customer(customer.name, customer.email, customer.phone),
            ),
            caller=order_caller(maybe_staff, order_token),
        )
        payment = started.payment
        if payment.qr_string is not None and not payment.shows_qr:
            # Resolved meanwhile (rare): a closed attempt's QR is never handed out.
            raise PaymentClosed(f"payment {payment.attempt_id} is {payment.status.value}")
        if payment.qr_string is None or payment.expires_at is None:
            # Resolved meanwhile into a state without a QR (rare): report it like a read.
            raise NotFoundException("the payment attempt has no QR code")
        body = QrisPaymentResponse(
            transaction_token=payment.gateway_reference or "",
            qris_url=urls.qris_image(payment.attempt_id),
            attempt_id=payment.attempt_id,
            qr_string=payment.qr_string,
            payment_url=payment.payment_url or "",
            amount=payment.amount,
            status=payment.status.value,
            expires_at=payment.expires_at,
            payment_page_url=payment_page_links.for_order(payment.order_id),
        )
        return Response(body, status_code=201 if started.created else 200)

    @get(
        "/{order_uid:str}",
        summary="A payment attempt and its status",
        description=(
            "The unguessable order_uid is the capability to read it. Staff names and refund "
            "notes are shown to staff only."
        ),
        responses=responses(400, 404),
    )
    async def read(
        self,
        urls: NamedDependency[PublicUrls],
        order_uid: OrderUid,
        get_payment: NamedDependency[GetPayment],
        maybe_staff: NamedDependency[Staff | None],
    ) -> PaymentResponse:
        payment = await get_payment.execute(order_uid)
        return PaymentResponse.of(
            payment, qris_url=urls.qris_image(payment.attempt_id), for_staff=maybe_staff is not None
        )

    @get(
        "/{order_uid:str}/qris.png",
        summary="The QR code of an open QRIS attempt, as PNG",
        description="410 payment_closed once the attempt is closed; never cached.",
        media_type="image/png",
        responses=responses(400, 404, 410),
    )
    async def qris_png(
        self, order_uid: OrderUid, get_payment: NamedDependency[GetPayment]
    ) -> Response[bytes]:
        return await _qr_image(order_uid, get_payment, "png")

    @get(
        "/{order_uid:str}/qris.svg",
        summary="The QR code of an open QRIS attempt, as SVG",
        description="410 payment_closed once the attempt is closed; never cached.",
        media_type="image/svg+xml",
        responses=responses(400, 404, 410),
    )
    async def qris_svg(
        self, order_uid: OrderUid, get_payment: NamedDependency[GetPayment]
    ) -> Response[bytes]:
        return await _qr_image(order_uid, get_payment, "svg")

    @post(
        "/cash",
        summary="Take a cash payment (staff)",
        security=STAFF,
        opt=IDEMPOTENT,
        responses=responses(400, 401, 404, 409, 413, 415, 422),
    )
    async def pay_cash(
        self,
        data: JSONBody[CashPaymentRequest],
        pay_cash: NamedDependency[PayCash],
        staff: NamedDependency[Staff],
        idempotency_key: IdempotencyKey = None,
    ) -> CashPaymentResponse:
        payment = await pay_cash.execute(data.order_id, tendered=data.amount_tendered, caller=staff)
        return CashPaymentResponse(
            attempt_id=payment.attempt_id,
            order_id=payment.order_id,
            amount=payment.amount,
            amount_tendered=payment.cash_tendered or 0,
            change_due=payment.change_due or 0,
            taken_by=staff.name,
            status=payment.status.value,
            paid_at=payment.paid_at or payment.created_at,
        )


async def _qr_image(attempt_id: str, get_payment: GetPayment, kind: ImageKind) -> Response[Any]:
    payload = await get_payment.qr_payload(attempt_id)
    # Never cached: a cash payment or a cancel can close the attempt at any moment.
    return Response(
        render_qr(payload, kind),
        media_type=MEDIA_TYPES[kind],
        headers={"Cache-Control": "no-store"},
    )
