"""Absolute URLs the API hands out, built from PUBLIC_BASE_URL."""

from dataclasses import dataclass
from urllib.parse import quote

from application.order_passes import OrderPasses


@dataclass(frozen=True, slots=True)
class PublicUrls:
    """The links kasir gives to clients; `base_url` is PUBLIC_BASE_URL without a final slash."""

    base_url: str

    def qris_image(self, attempt_id: str) -> str:
        return f"{self.base_url}/api/v1/payments/{attempt_id}/qris.png"

    def payment_page(self, order_id: int, sig: str) -> str:
        return f"{self.base_url}/pay/{order_id}?sig={quote(sig, safe='')}"


@dataclass(frozen=True, slots=True)
class PaymentPageLinks:
    """Signed links to an order's payment page (`payment_page_url`), valid PAYMENT_LINK_HOURS.

    Handed to whoever already holds the order (its token holder, staff): the link is a
    capability for that one order's page, and never contains the order's access token.
    """

    passes: OrderPasses
    urls: PublicUrls

    def for_order(self, order_id: int) -> str:
        return self.urls.payment_page(order_id, self.passes.issue(order_id).value)
