"""The callback fixture of Duitku's official PHP SDK verifies through kasir's production path.

Data copied from duitkupg/duitku-php (commit 4d490f5, 2025-07-21): `tests/params/
ParamsCallback.json`, posted by `tests/CallbackApiTest.php` and `tests/CallbackTest.php`
with `new \\Duitku\\Config("732B39FC61796845775D2C4FB05332AF", "D0001")`. The SDK signs and
verifies it with `md5(merchantCode + amount + merchantOrderId + apiKey)` (`Duitku/Api.php`).
Only the data is copied; no SDK code.
"""

import pytest

from adapters.duitku.config import CallbackSignatures
from adapters.duitku.notifications import DuitkuNotificationVerifier
from application.errors import NotificationRejected
from application.gateway import NotificationResult

SDK_API_KEY = "732B39FC61796845775D2C4FB05332AF"
SDK_MERCHANT_CODE = "D0001"
# ParamsCallback.json as a form POST carries it: every value a string, empty ones empty.
SDK_CALLBACK = {
    "merchantOrderId": "12345",
    "resultCode": "00",
    "merchantCode": "D0001",
    "amount": "10000",
    "productDetail": "",
    "paymentCode": "",
    "reference": "D00015HL5BJKRM27MCUS",
    "additionalParam": "",
    "signature": "4104f20a70c933113c66c004fe25a9f1",
}


def verifier(accepted: CallbackSignatures = "both") -> DuitkuNotificationVerifier:
    return DuitkuNotificationVerifier(
        merchant_code=SDK_MERCHANT_CODE, api_key=SDK_API_KEY, accepted=accepted
    )


def test_the_sdk_callback_verifies_with_the_default_settings_as_md5() -> None:
    notification = verifier().verify_notification(SDK_CALLBACK)

    assert notification.signature_scheme == "md5"
    assert notification.attempt_id == "12345"
    assert notification.amount == 10000
    assert notification.result is NotificationResult.SUCCESS
    assert notification.gateway_reference == "D00015HL5BJKRM27MCUS"


def test_the_sdk_callback_verifies_when_callbacks_are_narrowed_to_md5() -> None:
    assert verifier("md5").verify_notification(SDK_CALLBACK).signature_scheme == "md5"


def test_the_sdk_callback_is_refused_when_callbacks_are_narrowed_to_hmac() -> None:
    with pytest.raises(NotificationRejected):
        verifier("hmac").verify_notification(SDK_CALLBACK)


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", "100000"), ("merchantOrderId", "12346"), ("merchantCode", "D0002")],
)
def test_changing_a_signed_field_of_the_sdk_callback_breaks_it(field: str, value: str) -> None:
    with pytest.raises(NotificationRejected):
        verifier().verify_notification({**SDK_CALLBACK, field: value})


def test_another_api_key_does_not_verify_the_sdk_callback() -> None:
    other = DuitkuNotificationVerifier(merchant_code=SDK_MERCHANT_CODE, api_key="0" * 32)

    with pytest.raises(NotificationRejected):
        other.verify_notification(SDK_CALLBACK)
