"""Duitku signature recipes (API.md §3) against Duitku's vector and independent HMACs."""

import hashlib
import hmac

import pytest

from adapters.duitku.config import CallbackSignatures
from adapters.duitku.signature import (
    callback_signature,
    callback_string_to_sign,
    hmac_sha256_hex,
    inquiry_signature,
    inquiry_string_to_sign,
    md5_legacy_hex,
    status_signature,
    status_string_to_sign,
    verify_notification_signature,
)

API_KEY = "732B39FC61796845775D2C4FB05332AF"
VECTOR_MD5 = "4104f20a70c933113c66c004fe25a9f1"  # API.md §3.2, from Duitku's PHP SDK fixture


def independent_hmac(message: str, key: str = API_KEY) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def independent_md5(message: str, key: str = API_KEY) -> str:
    return hashlib.md5((message + key).encode()).hexdigest()  # noqa: S324 - Duitku's legacy recipe


def test_legacy_callback_md5_matches_duitkus_published_vector() -> None:
    assert callback_signature("D0001", "10000", "12345", API_KEY, "md5") == VECTOR_MD5


def test_legacy_md5_hashes_the_string_to_sign_followed_by_the_key() -> None:
    assert md5_legacy_hex("D00011000012345", API_KEY) == VECTOR_MD5


def test_hmac_is_keyed_with_the_api_key_and_rendered_as_lowercase_hex() -> None:
    digest = hmac_sha256_hex("D00011000012345", API_KEY)

    assert digest == independent_hmac("D00011000012345")
    assert digest == digest.lower()
    assert len(digest) == 64


def test_callback_signs_merchant_code_then_amount_then_order_id() -> None:
    assert callback_string_to_sign("D0001", "10000", "12345") == "D00011000012345"
    assert callback_signature("D0001", "10000", "12345", API_KEY) == independent_hmac(
        "D00011000012345"
    )


def test_inquiry_signs_merchant_code_then_order_id_then_amount() -> None:
    assert inquiry_string_to_sign("D0001", "ORD-1", 40000) == "D0001ORD-140000"
    assert inquiry_signature("D0001", "ORD-1", 40000, API_KEY) == independent_hmac(
        "D0001ORD-140000"
    )
    assert inquiry_signature("D0001", "ORD-1", 40000, API_KEY, "md5") == independent_md5(
        "D0001ORD-140000"
    )


def test_transaction_status_signs_merchant_code_then_order_id() -> None:
    assert status_string_to_sign("D0001", "ORD-1") == "D0001ORD-1"
    assert status_signature("D0001", "ORD-1", API_KEY) == independent_hmac("D0001ORD-1")
    assert status_signature("D0001", "ORD-1", API_KEY, "md5") == independent_md5("D0001ORD-1")


def test_callback_amount_is_signed_as_the_exact_string_received() -> None:
    assert callback_signature("D0001", "10000.00", "12345", API_KEY) == independent_hmac(
        "D000110000.0012345"
    )
    assert callback_signature("D0001", "10000.00", "12345", API_KEY) != callback_signature(
        "D0001", "10000", "12345", API_KEY
    )


def test_verifier_reports_hmac_when_the_hmac_signature_matches() -> None:
    scheme = verify_notification_signature(
        merchant_code="D0001",
        amount="10000",
        merchant_order_id="12345",
        signature=independent_hmac("D00011000012345"),
        api_key=API_KEY,
    )

    assert scheme == "hmac"


def test_verifier_accepts_upper_case_hex_because_case_carries_no_information() -> None:
    scheme = verify_notification_signature(
        merchant_code="D0001",
        amount="10000",
        merchant_order_id="12345",
        signature=independent_hmac("D00011000012345").upper(),
        api_key=API_KEY,
    )

    assert scheme == "hmac"


@pytest.mark.parametrize(
    ("accepted", "hmac_result", "md5_result"),
    [("both", "hmac", "md5"), ("hmac", "hmac", None), ("md5", None, "md5")],
)
def test_verifier_tries_hmac_then_md5_and_the_setting_narrows_the_schemes(
    accepted: CallbackSignatures, hmac_result: str | None, md5_result: str | None
) -> None:
    def verify(signature: str) -> str | None:
        return verify_notification_signature(
            merchant_code="D0001",
            amount="10000",
            merchant_order_id="12345",
            signature=signature,
            api_key=API_KEY,
            accepted=accepted,
        )

    assert verify(independent_hmac("D00011000012345")) == hmac_result
    assert verify(VECTOR_MD5) == md5_result


def test_verifier_rejects_a_signature_made_with_another_key() -> None:
    forged = independent_hmac("D00011000012345", key="0" * 32)

    assert (
        verify_notification_signature(
            merchant_code="D0001",
            amount="10000",
            merchant_order_id="12345",
            signature=forged,
            api_key=API_KEY,
            accepted="both",
        )
        is None
    )


def test_verifier_rejects_a_valid_signature_moved_to_another_amount() -> None:
    signed_for_10000 = independent_hmac("D00011000012345")

    assert (
        verify_notification_signature(
            merchant_code="D0001",
            amount="20000",
            merchant_order_id="12345",
            signature=signed_for_10000,
            api_key=API_KEY,
        )
        is None
    )


def test_verifier_survives_non_ascii_input_without_raising() -> None:
    assert (
        verify_notification_signature(
            merchant_code="D0001",
            amount="10000",
            merchant_order_id="12345",
            signature="é" * 64,
            api_key=API_KEY,
        )
        is None
    )
