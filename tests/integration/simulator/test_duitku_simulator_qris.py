"""The QRIS payload the simulator hands out is a valid dynamic EMVCo QRIS."""

import binascii
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entrypoints.duitku_simulator.qris_payload import (
    QrisMerchant,
    build_dynamic_qris,
    crc16_ccitt_false,
    crc_is_valid,
    parse_tlv,
)

INQUIRY_PATH = "/webapi/api/merchant/v2/inquiry"
MERCHANT = QrisMerchant(
    name="WARUNG MAKAN SEDERHANA", city="BANDUNG", merchant_id="ID1020000000042"
)


def independent_crc(payload_without_crc: str) -> str:
    """CRC-16/CCITT-FALSE via the standard library's crc_hqx (poly 0x1021, given init)."""
    return f"{binascii.crc_hqx(payload_without_crc.encode(), 0xFFFF):04X}"


def test_crc_matches_the_standard_check_value_of_crc16_ccitt_false() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_crc_of_an_empty_input_is_the_initial_value() -> None:
    assert crc16_ccitt_false(b"") == 0xFFFF


async def test_inquiry_returns_a_dynamic_qris_with_every_required_tag(
    client: httpx.AsyncClient, inquiry_body: Callable[..., dict[str, Any]]
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body(paymentAmount=40000))
    payload = response.json()["qrString"]
    tags = parse_tlv(payload)

    assert next(iter(tags)) == "00"
    assert tags["00"] == "01"
    assert tags["01"] == "12"
    merchant_account = parse_tlv(tags["51"])
    assert merchant_account["00"] == "ID.CO.QRIS.WWW"
    assert merchant_account["02"].startswith("ID")
    assert merchant_account["03"] == "UMI"
    assert tags["52"] == "5812"
    assert tags["53"] == "360"
    assert tags["54"] == "40000"
    assert tags["58"] == "ID"
    assert 0 < len(tags["59"]) <= 25
    assert 0 < len(tags["60"]) <= 15
    additional = parse_tlv(tags["62"])
    assert additional["05"] == response.json()["reference"]
    assert additional["01"] == "ORDER-0001"
    assert list(tags)[-1] == "63"


async def test_the_qris_crc_covers_the_payload_up_to_and_including_6304(
    client: httpx.AsyncClient, inquiry_body: Callable[..., dict[str, Any]]
) -> None:
    response = await client.post(INQUIRY_PATH, json=inquiry_body())
    payload: str = response.json()["qrString"]

    assert payload[-8:-4] == "6304"
    assert payload[-4:] == independent_crc(payload[:-4])
    assert payload[-4:].isupper() or payload[-4:].isdigit()
    assert crc_is_valid(payload)


def test_a_payload_with_a_tampered_amount_fails_the_crc_check() -> None:
    payload = build_dynamic_qris(MERCHANT, amount=40000, reference="DS00001ABC", bill_number="O1")
    tampered = payload.replace("540540000", "540590000")

    assert tampered != payload
    assert not crc_is_valid(tampered)


def test_merchant_name_and_city_are_cut_to_the_qris_maximum_lengths() -> None:
    merchant = QrisMerchant(name="N" * 40, city="C" * 30, merchant_id="ID1020000000042")
    tags = parse_tlv(build_dynamic_qris(merchant, amount=10000, reference="R", bill_number="B"))

    assert tags["59"] == "N" * 25
    assert tags["60"] == "C" * 15


@pytest.mark.parametrize(
    "payload",
    ["0002", "000201010", "AB02xx", "00020100020101"],
    ids=["truncated-value", "truncated-header", "non-numeric-tag", "repeated-tag"],
)
def test_parse_tlv_rejects_malformed_payloads(payload: str) -> None:
    with pytest.raises(ValueError, match=r"TLV|tag"):
        parse_tlv(payload)


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=9_999_999_999_999),
    name=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40),
    reference=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=30),
)
def test_any_built_payload_parses_back_and_carries_a_valid_crc(
    amount: int, name: str, reference: str
) -> None:
    merchant = QrisMerchant(name=name, city="JAKARTA", merchant_id="ID1020000000042")
    payload = build_dynamic_qris(merchant, amount=amount, reference=reference, bill_number="B")
    tags = parse_tlv(payload)

    assert tags["54"] == str(amount)
    assert tags["59"] == name[:25]
    assert payload[-4:] == independent_crc(payload[:-4])
