"""Rendering a QRIS payload as a QR code image, with segno (pure Python, no Pillow needed)."""

import io
from functools import lru_cache
from typing import Literal

import segno

ImageKind = Literal["png", "svg"]

MEDIA_TYPES: dict[ImageKind, str] = {"png": "image/png", "svg": "image/svg+xml"}


@lru_cache(maxsize=512)
def render_qr(payload: str, kind: ImageKind) -> bytes:
    """The QR code for `payload`, cached because an attempt's payload never changes.

    `make_qr` always makes a full QR code: QRIS readers do not read Micro QR. Error correction
    M and a 4-module quiet zone, as EMVCo merchant-presented mode recommends.
    """
    code = segno.make_qr(payload, error="m", boost_error=False)
    buffer = io.BytesIO()
    if kind == "png":
        code.save(buffer, kind="png", scale=8, border=4)
    else:
        code.save(buffer, kind="svg", scale=8, border=4, xmldecl=False, svgns=True)
    return buffer.getvalue()
