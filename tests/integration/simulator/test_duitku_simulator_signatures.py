"""The simulator's own signature code agrees with API.md §3 and its published test vector."""

import hashlib
import hmac

import pytest

from entrypoints.duitku_simulator.config import CallbackSignatureScheme, RequestSignatures
from entrypoints.duitku_simulator.signatures import (
    callback_message,
    inquiry_message,
    matching_scheme,
    sign,
    status_message,
)

DOC_KEY = "732B39FC61796845775D2C4FB05332AF"


def test_the_legacy_callback_md5_matches_duitkus_sdk_test_vector() -> None:
    message = callback_message("D0001", "10000", "12345")

    assert sign(message, DOC_KEY, "md5") == "4104f20a70c933113c66c004fe25a9f1"


def test_hmac_signatures_are_keyed_with_the_api_key_over_the_plain_concatenation() -> None:
    message = inquiry_message("D0001", "ORDER-1", 40000)
    expected = hmac.new(DOC_KEY.encode(), b"D0001ORDER-140000", hashlib.sha256).hexdigest()

    assert sign(message, DOC_KEY, "hmac") == expected


def test_the_status_message_is_merchant_code_then_order_id() -> None:
    assert status_message("D0001", "ORDER-1") == "D0001ORDER-1"


@pytest.mark.parametrize(
    ("scheme", "accepted"), [("hmac", "both"), ("hmac", "hmac"), ("md5", "both"), ("md5", "md5")]
)
def test_a_signature_is_recognised_by_the_scheme_that_made_it(
    scheme: CallbackSignatureScheme, accepted: RequestSignatures
) -> None:
    message = status_message("D0001", "ORDER-1")
    signature = sign(message, DOC_KEY, scheme)

    assert matching_scheme(signature, message, DOC_KEY, accepted=accepted) == scheme


def test_an_md5_signature_is_not_recognised_when_only_hmac_is_accepted() -> None:
    message = status_message("D0001", "ORDER-1")

    assert matching_scheme(sign(message, DOC_KEY, "md5"), message, DOC_KEY, accepted="hmac") is None


def test_an_hmac_signature_is_not_recognised_by_an_md5_only_simulator() -> None:
    message = status_message("D0001", "ORDER-1")

    assert matching_scheme(sign(message, DOC_KEY, "hmac"), message, DOC_KEY, accepted="md5") is None


def test_a_signature_made_with_another_key_is_not_recognised() -> None:
    message = status_message("D0001", "ORDER-1")
    signature = sign(message, "0" * 32, "hmac")

    assert matching_scheme(signature, message, DOC_KEY, accepted="both") is None
