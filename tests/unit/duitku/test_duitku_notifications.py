"""verify_notification: Duitku's callback form fields, checked before anything is believed."""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway
from application.errors import InvalidNotification, NotificationRejected
from application.gateway import NotificationResult, PaymentNotification

GatewayFactory = Callable[..., DuitkuPaymentGateway]

KEY = "732B39FC61796845775D2C4FB05332AF"


def unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError("verifying a notification must not call Duitku")


def hmac_hex(message: str, key: str = KEY) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def md5_hex(message: str, key: str = KEY) -> str:
    return hashlib.md5((message + key).encode()).hexdigest()  # noqa: S324 - Duitku's legacy recipe


def callback(**overrides: str) -> dict[str, str]:
    """A callback as Duitku POSTs it (API.md §7.2), HMAC-signed unless overridden."""
    fields = {
        "merchantCode": "D0001",
        "amount": "40000",
        "merchantOrderId": "kx7Qm2pLr9",
        "productDetail": "Order #12 at Warung Kasir",
        "additionalParam": "",
        "paymentCode": "SP",
        "resultCode": "00",
        "merchantUserId": "",
        "reference": "D0001CX80TZJ85Q70QCI",
        "publisherOrderId": "SPQR2026112600001",
        "spUserHash": "",
        "settlementDate": "2026-11-27",
        "issuerCode": "93600914",
    }
    fields.update(overrides)
    if "signature" not in overrides:
        fields["signature"] = hmac_hex(
            fields["merchantCode"] + fields["amount"] + fields["merchantOrderId"]
        )
    return fields


@pytest.fixture
def gateway(make_gateway: GatewayFactory) -> DuitkuPaymentGateway:
    return make_gateway(unreachable)


def test_a_good_hmac_callback_becomes_a_verified_notification(
    gateway: DuitkuPaymentGateway,
) -> None:
    notification = gateway.verify_notification(callback())

    assert notification == PaymentNotification(
        attempt_id="kx7Qm2pLr9",
        amount=40000,
        result=NotificationResult.SUCCESS,
        result_code="00",
        gateway_reference="D0001CX80TZJ85Q70QCI",
        signature_scheme="hmac",
    )


@pytest.mark.parametrize(
    ("result_code", "result"),
    [
        ("01", NotificationResult.FAILED),
        ("02", NotificationResult.FAILED),
        ("03", NotificationResult.OTHER),
        ("SUCCESS", NotificationResult.OTHER),
    ],
)
def test_only_result_code_00_is_a_success(
    gateway: DuitkuPaymentGateway, result_code: str, result: NotificationResult
) -> None:
    notification = gateway.verify_notification(callback(resultCode=result_code))

    assert notification.result is result
    assert notification.result_code == result_code


def test_a_forged_signature_is_rejected(gateway: DuitkuPaymentGateway) -> None:
    with pytest.raises(NotificationRejected):
        gateway.verify_notification(callback(signature=hmac_hex("D000140000kx7Qm2pLr9", "x" * 32)))


def test_a_changed_amount_breaks_the_signature(gateway: DuitkuPaymentGateway) -> None:
    fields = callback()
    fields["amount"] = "1000"

    with pytest.raises(NotificationRejected):
        gateway.verify_notification(fields)


def test_a_callback_for_another_merchant_is_rejected_even_if_signed_with_our_key(
    gateway: DuitkuPaymentGateway,
) -> None:
    with pytest.raises(NotificationRejected, match="another merchant"):
        gateway.verify_notification(callback(merchantCode="D9999"))


def test_a_legacy_md5_signature_is_accepted_by_default_and_reported_as_md5(
    gateway: DuitkuPaymentGateway,
) -> None:
    notification = gateway.verify_notification(callback(signature=md5_hex("D000140000kx7Qm2pLr9")))

    assert notification.signature_scheme == "md5"


def test_an_md5_callback_is_refused_when_the_setting_allows_hmac_only(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    gateway = make_gateway(unreachable, replace(duitku_config, callback_signatures="hmac"))

    with pytest.raises(NotificationRejected):
        gateway.verify_notification(callback(signature=md5_hex("D000140000kx7Qm2pLr9")))
    assert gateway.verify_notification(callback()).signature_scheme == "hmac"


def test_an_hmac_callback_is_refused_when_the_setting_allows_md5_only(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    gateway = make_gateway(unreachable, replace(duitku_config, callback_signatures="md5"))

    with pytest.raises(NotificationRejected):
        gateway.verify_notification(callback())
    md5_signed = callback(signature=md5_hex("D000140000kx7Qm2pLr9"))
    assert gateway.verify_notification(md5_signed).signature_scheme == "md5"


def test_duitkus_published_md5_vector_verifies_with_the_default_settings(
    gateway: DuitkuPaymentGateway,
) -> None:
    notification = gateway.verify_notification(
        {
            "merchantCode": "D0001",
            "amount": "10000",
            "merchantOrderId": "12345",
            "resultCode": "00",
            "signature": "4104f20a70c933113c66c004fe25a9f1",
        }
    )

    assert notification.amount == 10000
    assert notification.gateway_reference is None


@pytest.mark.parametrize(
    "field", ["merchantCode", "amount", "merchantOrderId", "signature", "resultCode"]
)
def test_a_missing_required_field_makes_the_notification_invalid(
    gateway: DuitkuPaymentGateway, field: str
) -> None:
    fields = callback()
    del fields[field]

    with pytest.raises(InvalidNotification, match=field):
        gateway.verify_notification(fields)


@pytest.mark.parametrize(
    "field", ["merchantCode", "amount", "merchantOrderId", "signature", "resultCode"]
)
@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_required_field_counts_as_missing(
    gateway: DuitkuPaymentGateway, field: str, empty: str
) -> None:
    with pytest.raises(InvalidNotification, match=field):
        gateway.verify_notification(callback(**{field: empty}))


def test_an_empty_reference_is_reported_as_no_reference(gateway: DuitkuPaymentGateway) -> None:
    notification = gateway.verify_notification(callback(reference=""))

    assert notification.gateway_reference is None


@pytest.mark.parametrize("amount", ["40000.50", "40.000", "4e4", "-40000", "abc", "40000 "])
def test_an_amount_that_is_not_whole_rupiah_makes_the_notification_invalid(
    gateway: DuitkuPaymentGateway, amount: str
) -> None:
    with pytest.raises(InvalidNotification, match="amount"):
        gateway.verify_notification(callback(amount=amount))


def test_the_amount_is_verified_as_the_exact_string_received(
    gateway: DuitkuPaymentGateway,
) -> None:
    fields = callback(amount="40000.00")

    notification = gateway.verify_notification(fields)

    assert notification.amount == 40000
    with pytest.raises(NotificationRejected):
        gateway.verify_notification({**fields, "amount": "40000"})


@pytest.mark.parametrize("signature", ["not-hex", "abc123", "z" * 64, "a" * 63])
def test_a_signature_that_is_not_a_hex_digest_makes_the_notification_invalid(
    gateway: DuitkuPaymentGateway, signature: str
) -> None:
    with pytest.raises(InvalidNotification, match="signature"):
        gateway.verify_notification(callback(signature=signature))


def test_unknown_fields_are_ignored(gateway: DuitkuPaymentGateway) -> None:
    notification = gateway.verify_notification(
        callback(sourceAccount="", customerName="BUDI S***", brandNewField2027="x")
    )

    assert notification.result is NotificationResult.SUCCESS
