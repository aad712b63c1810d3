"""Absolute URLs the API hands out, built from PUBLIC_BASE_URL."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PublicUrls:
    """The links kasir gives to clients; `base_url` is PUBLIC_BASE_URL without a final slash."""

    base_url: str

    def qris_image(self, order_uid: str) -> str:
        return f"{self.base_url}/api/v1/payments/{order_uid}/qris.png"
