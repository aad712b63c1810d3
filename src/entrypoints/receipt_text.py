"""A receipt as plain text for thermal printers: 48 columns (80 mm paper) or 32 (58 mm).

Widths are display columns (wcwidth): a wide character (CJK, most emoji) takes two, a
combining mark none, so no line ever runs past the paper whatever the menu's names hold. Long
names wrap onto further lines; amounts are right-aligned in Indonesian format (`Rp 25.000`).
A copy after the first carries the reprint marker at its top and bottom.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Literal

import wcwidth

from application.receipts import Receipt
from domain.payments import PaymentMethod

PaperWidth = Literal[48, 32]
WIDTHS: tuple[PaperWidth, ...] = (48, 32)
REPRINT_MARKER = "CETAK ULANG / REPRINT"
MIN_LABEL_WIDTH = 8  # narrower than this beside an amount, the label gets a line of its own
METHOD_NAMES = {PaymentMethod.CASH: "Tunai", PaymentMethod.QRIS: "QRIS"}


def rupiah_text(amount: int) -> str:
    """`25000` as `Rp 25.000`: Indonesian thousands separators, no decimals (IDR has none)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")


def local_time_text(at: datetime) -> str:
    """`30/11/2026 19:05` in the zone `at` carries (the restaurant's)."""
    return at.strftime("%d/%m/%Y %H:%M")


def width_of(text: str) -> int:
    """Display columns; a character wcwidth cannot measure counts as one."""
    return sum(max(wcwidth.wcwidth(char), 0) for char in text)


def _wrap(text: str, width: int) -> list[str]:
    lines = wcwidth.wrap(text, width) if text.strip() else []
    # wcwidth wraps by display width; clip defensively so the promise holds for any input.
    return [_clip(line, width) for line in lines] or [""]


def _clip(text: str, width: int) -> str:
    while width_of(text) > width:
        text = text[:-1]
    return text


def _center(text: str, width: int) -> Iterator[str]:
    for line in _wrap(text, width):
        yield " " * ((width - width_of(line)) // 2) + line


def _right(text: str, width: int) -> str:
    return " " * (width - width_of(text)) + text


def _pair(left: str, right: str, width: int) -> Iterator[str]:
    """`left` and `right` on one line, `right` flush right; `left` wraps when they don't fit.
    A right part too wide to share a line (a long reference or name) goes below, right-
    aligned and wrapped itself, so nothing is cut and nothing overflows."""
    room = width - width_of(right) - 1
    if room < MIN_LABEL_WIDTH:
        yield from _wrap(left, width)
        for piece in _wrap(right, width):
            yield _right(piece, width)
        return
    lines = _wrap(left, room)
    yield from lines[:-1]
    last = lines[-1]
    yield last + _right(right, width - width_of(last))


def render(receipt: Receipt, width: PaperWidth) -> str:
    """The receipt laid out for a printer `width` columns wide; lines end with `\\n`."""
    return "".join(f"{line}\n" for line in _lines(receipt, width))


def _lines(receipt: Receipt, width: int) -> Iterator[str]:
    rule = "-" * width
    if receipt.reprint:
        yield from _center(f"*** {REPRINT_MARKER} ***", width)
    yield from _center(receipt.restaurant.name, width)
    if receipt.restaurant.address:
        yield from _center(receipt.restaurant.address, width)
    yield rule
    yield from _pair("No. pesanan", f"#{receipt.order_id}", width)
    if receipt.table_number:
        yield from _pair("Meja", receipt.table_number, width)
    yield from _pair("Waktu", local_time_text(receipt.paid_at), width)
    if receipt.cashier:
        yield from _pair("Kasir", receipt.cashier, width)
    yield rule
    for line in receipt.lines:
        yield from _wrap(line.name, width)
        yield from _pair(
            f"  {line.quantity} x {rupiah_text(line.unit_price)}", rupiah_text(line.amount), width
        )
    yield rule
    yield from _pair("TOTAL", rupiah_text(receipt.total), width)
    yield from _pair("Bayar", METHOD_NAMES[receipt.method], width)
    if receipt.tendered is not None:
        yield from _pair("Tunai diterima", rupiah_text(receipt.tendered), width)
    if receipt.change is not None:
        yield from _pair("Kembalian", rupiah_text(receipt.change), width)
    if receipt.gateway_reference:
        yield from _pair("Ref.", receipt.gateway_reference, width)
    if receipt.refunds:
        yield rule
        for refund in receipt.refunds:
            label = f"Refund {METHOD_NAMES[refund.method]} {local_time_text(refund.refunded_at)}"
            yield from _pair(label, rupiah_text(-refund.amount), width)
        yield from _pair("TOTAL SETELAH REFUND", rupiah_text(receipt.net), width)
    yield rule
    yield from _center("Terima kasih", width)
    if receipt.reprint:
        yield from _center(
            f"{REPRINT_MARKER} #{receipt.print_number} {local_time_text(receipt.printed_at)}",
            width,
        )
