"""Midtrans notifications: verified by their SHA-512 signature, parsed in kasir's words."""

import hashlib

import pytest

from adapters.midtrans.notifications import MidtransNotificationVerifier
from application.errors import InvalidNotification, NotificationRejected
from application.gateway import NotificationResult

KEY = "SB-Mid-server-UnitTestKey0123456789"
VERIFIER = MidtransNotificationVerifier(server_key=KEY)


def notification(**changes: str) -> dict[str, str]:
    fields = {
        "order_id": "KSR-1",
        "status_code": "200",
        "gross_amount": "70000.00",
        "transaction_status": "settlement",
        "fraud_status": "accept",
        "transaction_id": "tx-1",
        "payment_type": "qris",
    }
    fields.update(changes)
    signed = fields["order_id"] + fields["status_code"] + fields["gross_amount"] + KEY
    fields.setdefault("signature_key", hashlib.sha512(signed.encode()).hexdigest())
    return fields


@pytest.mark.parametrize(
    ("status", "fraud", "result"),
    [
        ("settlement", "accept", NotificationResult.SUCCESS),
        ("capture", "accept", NotificationResult.SUCCESS),
        ("capture", "challenge", NotificationResult.OTHER),
        ("settlement", "deny", NotificationResult.FAILED),
        ("pending", "accept", NotificationResult.OTHER),
        ("expire", "accept", NotificationResult.FAILED),
        ("cancel", "accept", NotificationResult.FAILED),
        ("deny", "accept", NotificationResult.FAILED),
        ("failure", "accept", NotificationResult.FAILED),
        ("refund", "accept", NotificationResult.OTHER),
        ("expired", "accept", NotificationResult.OTHER),  # not Midtrans's word: not a failure
    ],
)
def test_a_verified_notification_says_what_happened(
    status: str, fraud: str, result: NotificationResult
) -> None:
    verified = VERIFIER.verify_notification(
        notification(transaction_status=status, fraud_status=fraud)
    )

    assert verified.result is result
    assert (verified.attempt_id, verified.amount, verified.gateway_reference) == (
        "KSR-1",
        70_000,
        "tx-1",
    )
    assert verified.signature_scheme == "sha512"


def test_a_signature_from_another_key_is_rejected() -> None:
    forged = notification()
    other = "KSR-1" + "200" + "70000.00" + "SB-Mid-server-other"
    forged["signature_key"] = hashlib.sha512(other.encode()).hexdigest()

    with pytest.raises(NotificationRejected):
        VERIFIER.verify_notification(forged)


def test_a_changed_amount_is_rejected() -> None:
    forged = {**notification(), "gross_amount": "70001.00"}

    with pytest.raises(NotificationRejected):
        VERIFIER.verify_notification(forged)


@pytest.mark.parametrize(
    "changes",
    [
        {"order_id": ""},
        {"gross_amount": "70000.50"},
        {"signature_key": "abc"},
        {"signature_key": "z" * 128},
        {"transaction_status": " "},
    ],
)
def test_a_malformed_notification_is_invalid(changes: dict[str, str]) -> None:
    with pytest.raises(InvalidNotification):
        VERIFIER.verify_notification(notification(**changes))


def test_reading_keeps_what_it_names_before_verification_bounded() -> None:
    fields = notification(order_id="K" * 200)
    fields["forger_junk"] = "x"

    received = VERIFIER.read_notification(fields)

    assert received.attempt_id == "K" * 64
    assert received.signature == fields["signature_key"]
    assert "forger_junk" in received.fields
    assert "forger_junk" not in received.fields_if_rejected
    assert "gross_amount" in received.fields_if_rejected


def test_the_server_key_never_appears_in_the_verifiers_repr() -> None:
    assert KEY not in repr(VERIFIER)
