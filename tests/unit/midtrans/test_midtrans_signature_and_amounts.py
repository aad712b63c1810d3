"""Midtrans's notification signature and its decimal amounts, read exactly."""

import pytest

from adapters.midtrans.amounts import parse_gross_amount
from adapters.midtrans.signature import notification_signature, signature_matches
from entrypoints.midtrans_simulator.signatures import signature_key

# Midtrans's documented sample inputs (order id, status, amount with decimals, a sandbox-style
# key); the digest was computed once with hashlib and is cross-checked below with the
# simulator's independent implementation.
ORDER_ID, STATUS_CODE, GROSS_AMOUNT = "Postman-1578568851", "200", "10000.00"
SERVER_KEY = "VT-server-HJMpl9HLr_ntOKt5mRONdmKj"
DIGEST = (
    "e78e2223638cb60dbdbc88d23deb9b927ac41be7263ab38758605bac834dc254"
    "25705543707504bfef0802914cfa3f5f538fa308d1f9086211c420e7892ba2ba"
)


def test_the_signature_is_sha512_of_order_status_amount_and_server_key() -> None:
    assert notification_signature(ORDER_ID, STATUS_CODE, GROSS_AMOUNT, SERVER_KEY) == DIGEST


def test_the_adapter_and_the_simulator_sign_alike() -> None:
    assert signature_key(ORDER_ID, STATUS_CODE, GROSS_AMOUNT, SERVER_KEY) == DIGEST


@pytest.mark.parametrize("signature", [DIGEST, DIGEST.upper(), f" {DIGEST} "])
def test_a_genuine_signature_matches_in_any_case(signature: str) -> None:
    assert signature_matches(
        signature,
        order_id=ORDER_ID,
        status_code=STATUS_CODE,
        gross_amount=GROSS_AMOUNT,
        server_key=SERVER_KEY,
    )


@pytest.mark.parametrize(
    "changed",
    [
        {"order_id": "Postman-1578568852"},
        {"status_code": "201"},
        {"gross_amount": "10000"},  # signed exactly as sent: "10000.00" is not "10000"
        {"server_key": "VT-server-another"},
    ],
)
def test_any_change_to_what_was_signed_breaks_the_signature(changed: dict[str, str]) -> None:
    signed = {
        "order_id": ORDER_ID,
        "status_code": STATUS_CODE,
        "gross_amount": GROSS_AMOUNT,
        "server_key": SERVER_KEY,
        **changed,
    }
    assert not signature_matches(DIGEST, **signed)


@pytest.mark.parametrize(
    ("text", "rupiah"),
    [("70000.00", 70_000), ("70000", 70_000), ("70000.0", 70_000), ("1", 1), (5, 5)],
)
def test_a_whole_gross_amount_reads_as_exact_rupiah(text: str | int, rupiah: int) -> None:
    assert parse_gross_amount(text) == rupiah


@pytest.mark.parametrize(
    "text", ["70000.50", "70000.01", "70.000", "7e4", "-70000", "", " 70000", "70000.000", True]
)
def test_an_amount_that_is_not_whole_rupiah_is_refused_never_rounded(text: str | bool) -> None:
    with pytest.raises(ValueError, match=r"whole|negative"):
        parse_gross_amount(text)
