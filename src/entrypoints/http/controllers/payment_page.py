"""The customer's payment page: `/pay/{order_id}?sig=...`, one page per order.

Opened by a link signed for the order (application.order_passes, never the access token), it
shows the restaurant, the order, the open attempt's QR with a countdown, and its status live:
the page's script (static/pay.js) listens to the order's event stream with the stream token
the server embedded, and polls `/pay/{order_id}/status` every few seconds when the stream is
unavailable. The QR of a closed attempt is never shown (application.live_status decides).

Asking for a new QR (`POST /pay/{order_id}/qr`) is authorized by the same signed link, which an
attacker's page cannot know (sent in no Referer to another origin); the request must also come
from this page's own origin (Origin and Sec-Fetch-Site, sent by every current browser), so a
form on another site cannot post it even with a leaked link.
"""

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from application.callers import OrderPassHolder
from application.errors import ApplicationError, Forbidden, NotFound
from application.gateway import Customer
from application.live_status import GetLiveStatus, OrderLiveView
from application.order_passes import OrderPasses, PassExpired, PassRefused
from application.use_cases.start_qris_payment import StartQrisPayment, StartQrisPaymentCommand
from entrypoints.http.errors import responses
from entrypoints.http.payment_page.texts import TEXTS, Language, choose_language
from entrypoints.http.schemas.constraints import Email, PathId
from entrypoints.http.schemas.live_status import LiveStatusResponse
from entrypoints.settings import Settings

PAGE_DIRECTORY = Path(__file__).resolve().parent.parent / "payment_page"
ASSETS_PATH = "/pay/assets"
DEFAULT_CUSTOMER_NAME = "Pelanggan"  # the gateway needs a name; the order may have none

# The signed link never leaves kasir in a Referer (other origins get none), while the page's
# own form still carries its Origin: with `no-referrer` a browser sends `Origin: null`.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}

Sig = Annotated[
    str | None,
    QueryParameter(
        max_length=512, description="The signature of the link kasir handed out for this order"
    ),
]
Lang = Annotated[
    str | None, QueryParameter(max_length=2, description="`id` (default) or `en`: the switch")
]
Notice = Annotated[str | None, QueryParameter(max_length=20, description="`qr_failed`")]


_REFUSAL_PAGES = {
    403: "A page saying the link is not valid (data-code payment_link_invalid)",
    410: "A page saying the link expired (data-code payment_link_expired)",
}


def _html_page(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=str, media_type="text/html", description=description, generate_examples=False
    )


class NewQrForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The page's "new QR" button; `email` only when RESTAURANT_EMAIL is not set."""

    email: Email | None = None
    lang: Language = "id"


def payment_page_assets() -> ControllerRouterHandler:
    """The page's script and style, served by kasir itself (no CDN; CSP `'self'`)."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[PAGE_DIRECTORY / "static"],
        name="payment_page_assets",
        cache_control=None,
        include_in_schema=False,
    )


class PaymentPageController(Controller):
    path = "/pay"
    tags = ["payment page"]  # noqa: RUF012

    @get(
        "/{order_id:int}",
        summary="The customer's payment page (HTML), opened by the signed link",
        description=(
            "`payment_page_url` of the order and of its QRIS payment. 403 with a bad "
            "signature, 410 once the link expired (PAYMENT_LINK_HOURS); both as a page."
        ),
        media_type="text/html",
        responses={
            **responses(400, 404),
            **{status: _html_page(words) for status, words in _REFUSAL_PAGES.items()},
        },
    )
    async def page(
        self,
        request: Request[Any, Any, Any],
        order_id: PathId,
        payment_links: NamedDependency[OrderPasses],
        stream_tokens: NamedDependency[OrderPasses],
        get_live_status: NamedDependency[GetLiveStatus],
        settings: NamedDependency[Settings],
        sig: Sig = None,
        lang: Lang = None,
        notice: Notice = None,
    ) -> Template:
        language = choose_language(lang, request.headers.get("Accept-Language"))
        try:
            payment_links.check(order_id, sig)
            view = await get_live_status.execute(order_id, caller=OrderPassHolder(order_id))
        except (PassRefused, PassExpired, NotFound) as refused:
            return _refusal_page(refused, language)
        return Template(
            template_name="payment_page.html.j2",
            context={
                **_page_context(view, settings, language),
                "signed_query": f"sig={quote(sig or '', safe='')}",
                "stream_token": stream_tokens.issue(order_id).value,
                "notice": TEXTS[language]["qr_failed"] if notice == "qr_failed" else None,
            },
            media_type="text/html",
            headers=PAGE_HEADERS,
        )

    @get(
        "/{order_id:int}/status",
        summary="The payment page's view of the order (its polling fallback)",
        description="The same document as each event of the order's status stream.",
        responses=responses(400, 403, 404, 410),
        cache_control=None,
    )
    async def status(
        self,
        order_id: PathId,
        payment_links: NamedDependency[OrderPasses],
        get_live_status: NamedDependency[GetLiveStatus],
        sig: Sig = None,
    ) -> LiveStatusResponse:
        payment_links.check(order_id, sig)
        view = await get_live_status.execute(order_id, caller=OrderPassHolder(order_id))
        return LiveStatusResponse.of(view)

    @post(
        "/{order_id:int}/qr",
        summary="Ask for a new QR from the payment page (its button), then show the page again",
        description=(
            "Authorized by the page's signed link and accepted only from the page's own origin; "
            "answers 303 to the page (with `notice=qr_failed` when no QR could be made)."
        ),
        status_code=303,
        responses=responses(400, 403, 404, 410, 413, 415),
    )
    async def new_qr(
        self,
        request: Request[Any, Any, Any],
        order_id: PathId,
        data: Annotated[NewQrForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        payment_links: NamedDependency[OrderPasses],
        get_live_status: NamedDependency[GetLiveStatus],
        start_qris_payment: NamedDependency[StartQrisPayment],
        settings: NamedDependency[Settings],
        sig: Sig = None,
    ) -> Redirect:
        language = data.lang
        if not _from_own_origin(request, settings.base_url):
            raise Forbidden("the request did not come from the payment page")
        payment_links.check(order_id, sig)
        caller = OrderPassHolder(order_id)
        page = f"/pay/{order_id}?sig={quote(sig or '', safe='')}&lang={language}"
        email = settings.restaurant_email or data.email
        try:
            view = await get_live_status.execute(order_id, caller=caller)
            if view.may_request_qr:
                if email is None:  # the form asks for it when RESTAURANT_EMAIL is unset
                    return Redirect(path=f"{page}&notice=qr_failed", status_code=303)
                await start_qris_payment.execute(
                    StartQrisPaymentCommand(
                        order_id=order_id,
                        amount=view.order.total,
                        customer=Customer(view.order.customer_name or DEFAULT_CUSTOMER_NAME, email),
                    ),
                    caller=caller,
                )
        except ApplicationError:
            return Redirect(path=f"{page}&notice=qr_failed", status_code=303)
        return Redirect(path=page, status_code=303)


def _from_own_origin(request: Request[Any, Any, Any], base_url: str) -> bool:
    """No cross-site post: a browser names the posting page's origin (Origin) and whether it is
    this site (Sec-Fetch-Site); a client that sends neither (curl) is no browser to trick."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    own = {_origin(base_url), f"{request.url.scheme}://{request.headers.get('Host', '')}"}
    return origin in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page_context(view: OrderLiveView, settings: Settings, language: Language) -> dict[str, Any]:
    live = LiveStatusResponse.of(view)
    return {
        "t": TEXTS[language],
        "lang": language,
        "other_lang": "en" if language == "id" else "id",
        "restaurant": settings.restaurant_name,
        "order": view.order,
        "live": live,
        "status": view.status.value,
        "ask_email": settings.restaurant_email is None,
        "paid_at": _clock_time(live.paid_at),
        "expires_at": live.qr.expires_at.isoformat() if live.qr and live.qr.expires_at else "",
        "assets": ASSETS_PATH,
        "rupiah": rupiah,
    }


def rupiah(amount: int) -> str:
    """`Rp 70.000`: whole rupiah with dots between thousands, as Indonesian prices are written."""
    return "Rp " + f"{amount:,}".replace(",", ".")


def _clock_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


def _refusal_page(refusal: ApplicationError, language: Language) -> Template:
    expired = isinstance(refusal, PassExpired)
    status = 410 if expired else 403  # an order that no longer exists: the link is no good
    return Template(
        template_name="payment_link_refused.html.j2",
        context={
            "t": TEXTS[language],
            "lang": language,
            "message": TEXTS[language]["link_expired" if expired else "link_invalid"],
            "code": refusal.code
            if isinstance(refusal, PassExpired | PassRefused)
            else "payment_link_invalid",
            "assets": ASSETS_PATH,
        },
        media_type="text/html",
        status_code=status,
        headers=PAGE_HEADERS,
    )
