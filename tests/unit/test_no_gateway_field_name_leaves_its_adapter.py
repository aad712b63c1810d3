"""No gateway's field name outside its adapter and its simulator.

A second gateway did not need the application (or the HTTP layer, or the SQL tables) to learn
its field names: the port hands over the attempt's id, a verification result and the fields
to store (application.gateway.ReceivedNotification). Like the layer test, this reads the
source text, so a name in a comment or a log line counts too. Each gateway has its own list:
Duitku's camelCase names, Midtrans's snake_case ones.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
# Migrations are history: they stay as they ran.
MIGRATIONS = SRC / "adapters" / "sqlalchemy" / "migrations"


@dataclass(frozen=True)
class GatewayNames:
    name: str
    allowed: tuple[Path, ...]
    named: re.Pattern[str]  # names that are the gateway's wherever they appear
    as_key: re.Pattern[str]  # words kasir also uses: the gateway's only as a dict key


def _key(*words: str) -> re.Pattern[str]:
    before, after = r"""(\[|\.get\(|\{\s*|,\s*)["']""", r"""["']\s*[\]:,)]"""
    return re.compile(before + "(" + "|".join(words) + ")" + after)


def _named(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")\b")


DUITKU = GatewayNames(
    "duitku",
    (
        SRC / "adapters" / "duitku",
        SRC / "entrypoints" / "duitku_simulator",
        # The in-memory gateway is a stand-in for Duitku that signs its notifications the
        # Duitku way, so the production Duitku verifier checks them in every test on fakes.
        SRC / "adapters" / "in_memory" / "gateway.py",
        MIGRATIONS,
    ),
    # Duitku's own names (API.md §3-§7): request, answer and callback fields, as sent.
    _named(
        "merchantOrderId",
        "merchantCode",
        "resultCode",
        "paymentAmount",
        "statusCode",
        "statusMessage",
        "publisherOrderId",
        "spUserHash",
        "settlementDate",
        "issuerCode",
        "additionalParam",
        "merchantUserId",
        "merchantUserInfo",
        "merchantCustomerId",
        "paymentCode",
        "sourceAccount",
        "customerVaName",
        "vaNumber",
        "expiryPeriod",
        "callbackUrl",
        "returnUrl",
        "qrString",
        "paymentUrl",
        "productDetails",
        "itemDetails",
        "customerDetail",
        "paymentMethod",
    ),
    _key("signature", "reference"),
)
MIDTRANS = GatewayNames(
    "midtrans",
    (SRC / "adapters" / "midtrans", SRC / "entrypoints" / "midtrans_simulator", MIGRATIONS),
    # Midtrans's own names (Core API: charge, status, notifications), as sent.
    _named(
        "gross_amount",
        "signature_key",
        "fraud_status",
        "transaction_details",
        "custom_expiry",
        "expiry_duration",
        "payment_type",
        "settlement_time",
        "transaction_time",
        "X-Override-Notification",
        "generate-qr-code",
    ),
    # Words kasir also uses for itself (its own `order_id` column and HTTP `status_code`
    # are kasir's words even as keys, so they are not scanned).
    _key(
        "transaction_status",
        "transaction_id",
        "status_message",
        "merchant_id",
        "acquirer",
        "qr_string",
        "actions",
    ),
)
GATEWAYS = {names.name: names for names in (DUITKU, MIDTRANS)}


def _offending_lines(names: GatewayNames) -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if any(path == allowed or allowed in path.parents for allowed in names.allowed):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if names.named.search(line) or names.as_key.search(line):
                found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("gateway", sorted(GATEWAYS))
def test_no_gateway_field_name_appears_outside_its_adapter_and_simulator(gateway: str) -> None:
    assert _offending_lines(GATEWAYS[gateway]) == []


@pytest.mark.parametrize(
    ("gateway", "line"),
    [
        ("duitku", 'order_uid = fields.get("merchantOrderId")'),
        ("duitku", 'entry.signature = fields["signature"]'),
        ("duitku", 'form = {"reference": reference}'),
        ("duitku", "# Duitku's resultCode 00 means paid"),
        ("midtrans", 'reference = fields.get("transaction_id")'),
        ("midtrans", "# Midtrans's gross_amount arrives with decimals"),
        ("midtrans", 'status = body["transaction_status"]'),
        ("midtrans", "headers={'X-Override-Notification': url}"),
    ],
)
def test_the_scan_sees_a_gateway_field_name_in_code_or_comments(gateway: str, line: str) -> None:
    names = GATEWAYS[gateway]
    assert names.named.search(line) or names.as_key.search(line)


@pytest.mark.parametrize("gateway", sorted(GATEWAYS))
@pytest.mark.parametrize(
    "line",
    [
        "entry.signature = received.signature",
        "gateway_reference: str | None",
        "order_id: int",
        "response.status_code == 200",
        "settings.midtrans_acquirer",
    ],
)
def test_kasirs_own_words_are_not_mistaken_for_gateway_fields(gateway: str, line: str) -> None:
    names = GATEWAYS[gateway]
    assert names.named.search(line) is None
    assert names.as_key.search(line) is None
