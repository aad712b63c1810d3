"""Dynamic QRIS payloads: EMVCo merchant-presented TLV with a CRC-16/CCITT-FALSE trailer.

Duitku returns the raw QRIS string in ``qrString`` and the merchant renders it (API.md §5.2),
so the simulator must hand out something a real QRIS parser accepts.
"""

from dataclasses import dataclass

QRIS_GUID = "ID.CO.QRIS.WWW"
CRC_TAG_AND_LENGTH = "6304"

_MAX_VALUE_LENGTH = 99
_MAX_MERCHANT_NAME = 25
_MAX_MERCHANT_CITY = 15
_MAX_ADDITIONAL_FIELD = 25


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    """Encode one EMVCo data object: 2-digit tag, 2-digit decimal length, value."""
    if len(tag) != 2 or not tag.isdigit():
        raise ValueError(f"EMVCo tags are two digits, got {tag!r}")
    if len(value) > _MAX_VALUE_LENGTH:
        raise ValueError(f"value of tag {tag} is longer than {_MAX_VALUE_LENGTH} characters")
    return f"{tag}{len(value):02d}{value}"


def parse_tlv(payload: str) -> dict[str, str]:
    """Split an EMVCo TLV string into ``{tag: value}``; nested templates stay as strings.

    Raises ValueError on truncated or malformed input and on repeated tags, so a test can
    feed a template value (e.g. tag 51) back in to read its sub-tags.
    """
    fields: dict[str, str] = {}
    position = 0
    while position < len(payload):
        header = payload[position : position + 4]
        if len(header) < 4 or not header.isdigit():
            raise ValueError(f"malformed TLV header {header!r} at offset {position}")
        tag, length = header[:2], int(header[2:])
        value = payload[position + 4 : position + 4 + length]
        if len(value) != length:
            raise ValueError(f"tag {tag} declares {length} characters but the payload ends")
        if tag in fields:
            raise ValueError(f"tag {tag} appears twice")
        fields[tag] = value
        position += 4 + length
    return fields


def crc_is_valid(payload: str) -> bool:
    """Whether the payload ends in ``6304`` + the CRC of everything up to and including it."""
    if len(payload) < 8 or payload[-8:-4] != CRC_TAG_AND_LENGTH:
        return False
    expected = crc16_ccitt_false(payload[:-4].encode())
    return payload[-4:] == f"{expected:04X}"


@dataclass(frozen=True, slots=True)
class QrisMerchant:
    """The merchant identity printed into every payload."""

    name: str
    city: str
    merchant_id: str
    category_code: str = "5812"


def build_dynamic_qris(
    merchant: QrisMerchant, *, amount: int, reference: str, bill_number: str
) -> str:
    """Build a dynamic (single-use, amount-bearing) QRIS payload for one transaction.

    Name, city and the additional-data fields are cut to the lengths EMVCo allows rather
    than rejected, because the inputs come from merchant-controlled free text.
    """
    if amount <= 0:
        raise ValueError("a dynamic QRIS needs a positive amount")
    merchant_account = tlv("00", QRIS_GUID) + tlv("02", merchant.merchant_id) + tlv("03", "UMI")
    additional_data = tlv("01", bill_number[:_MAX_ADDITIONAL_FIELD]) + tlv(
        "05", reference[:_MAX_ADDITIONAL_FIELD]
    )
    body = (
        tlv("00", "01")
        + tlv("01", "12")
        + tlv("51", merchant_account)
        + tlv("52", merchant.category_code)
        + tlv("53", "360")
        + tlv("54", str(amount))
        + tlv("58", "ID")
        + tlv("59", merchant.name[:_MAX_MERCHANT_NAME])
        + tlv("60", merchant.city[:_MAX_MERCHANT_CITY])
        + tlv("62", additional_data)
        + CRC_TAG_AND_LENGTH
    )
    return f"{body}{crc16_ccitt_false(body.encode()):04X}"
