"""The payment page's words, in Indonesian (the default) and English.

The language is the `lang` query parameter when given (the page's switch), else the first of
Indonesian or English that the browser's Accept-Language prefers, else Indonesian.
"""

from typing import Literal

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")

TEXTS: dict[Language, dict[str, str]] = {
    "id": {
        "title": "Pembayaran pesanan",
        "order": "Pesanan",
        "table": "Meja",
        "item": "Menu",
        "quantity": "Jml",
        "subtotal": "Subtotal",
        "total": "Total",
        "awaiting": "Menunggu pembayaran",
        "scan": "Pindai kode QRIS ini dengan aplikasi bank atau e-wallet Anda.",
        "qr_alt": "Kode QRIS untuk membayar pesanan",
        "expires_in": "Berlaku",
        "preparing": "Menyiapkan kode QR…",
        "no_qr": "Belum ada kode QR untuk pesanan ini.",
        "get_qr": "Tampilkan kode QR",
        "paid": "Lunas",
        "paid_at": "Dibayar pukul",
        "reference": "Referensi",
        "expired": "Kedaluwarsa",
        "expired_help": "Kode QR ini sudah tidak berlaku. Minta kode baru untuk membayar.",
        "new_qr": "Minta kode QR baru",
        "email": "E-mail (untuk bukti pembayaran)",
        "cancelled": "Dibatalkan",
        "cancelled_help": "Pesanan ini dibatalkan. Silakan hubungi kasir.",
        "qr_failed": "Kode QR baru belum bisa dibuat. Coba lagi sebentar lagi.",
        "switch": "English",
        "link_invalid": "Tautan pembayaran ini tidak valid.",
        "link_expired": "Tautan pembayaran ini sudah kedaluwarsa. Minta tautan baru di kasir.",
        "live": "Status diperbarui otomatis.",
    },
    "en": {
        "title": "Order payment",
        "order": "Order",
        "table": "Table",
        "item": "Item",
        "quantity": "Qty",
        "subtotal": "Subtotal",
        "total": "Total",
        "awaiting": "Waiting for payment",
        "scan": "Scan this QRIS code with your bank or e-wallet app.",
        "qr_alt": "QRIS code to pay the order",
        "expires_in": "Valid for",
        "preparing": "Preparing the QR code…",
        "no_qr": "There is no QR code for this order yet.",
        "get_qr": "Show the QR code",
        "paid": "Paid",
        "paid_at": "Paid at",
        "reference": "Reference",
        "expired": "Expired",
        "expired_help": "This QR code is no longer valid. Ask for a new one to pay.",
        "new_qr": "Get a new QR code",
        "email": "E-mail (for the receipt)",
        "cancelled": "Cancelled",
        "cancelled_help": "This order was cancelled. Please ask the cashier.",
        "qr_failed": "A new QR code could not be made yet. Please try again shortly.",
        "switch": "Bahasa Indonesia",
        "link_invalid": "This payment link is not valid.",
        "link_expired": "This payment link has expired. Ask the cashier for a new one.",
        "live": "The status updates by itself.",
    },
}


def choose_language(requested: str | None, accept_language: str | None) -> Language:
    """The page's language: the switch (`lang`) first, then the browser's preference."""
    if requested in LANGUAGES:
        return "en" if requested == "en" else "id"
    best: tuple[float, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = _quality(params)
        language: Language = "en" if primary == "en" else "id"
        # Higher quality wins; between equals, the one listed first.
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality - position * 1e-6, language)
    return best[1] if best else "id"


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0
