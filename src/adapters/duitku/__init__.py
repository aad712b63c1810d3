"""Duitku adapter: implements the PaymentGateway port over Duitku's v2 "webapi" (QRIS).

Duitku's field names, signatures and wire structs stay inside this package; the rest of kasir
sees only the port's value types and application errors.
"""

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway, make_http_client

__all__ = ["DuitkuConfig", "DuitkuPaymentGateway", "make_http_client"]
