"""No Duitku field name outside the Duitku adapter and the simulator.

A second gateway must not need the application (or the HTTP layer, or the SQL tables) to learn
its field names: the port hands over the attempt's id, a verification result and the fields
to store (application.gateway.ReceivedNotification). Like the layer test, this reads the
source text, so a name in a comment or a log line counts too.
"""

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ALLOWED = (
    SRC / "adapters" / "duitku",
    SRC / "entrypoints" / "duitku_simulator",
    # The in-memory gateway is a stand-in for Duitku that signs its notifications the Duitku
    # way, so the production Duitku verifier checks them in every test on fakes.
    SRC / "adapters" / "in_memory" / "gateway.py",
    # Migrations are history: they stay as they ran.
    SRC / "adapters" / "sqlalchemy" / "migrations",
)
# Duitku's own names (API.md §3-§7): request, answer and callback fields, camelCase as sent.
DUITKU_FIELDS = (
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
)
NAMED = re.compile(r"\b(" + "|".join(DUITKU_FIELDS) + r")\b")
# Words kasir also uses for itself: a Duitku field only when read or written as a dict key.
AS_KEY = re.compile(r"""(\[|\.get\(|\{\s*|,\s*)["'](signature|reference)["']\s*[\]:,)]""")


def _offending_lines() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if any(path == allowed or allowed in path.parents for allowed in ALLOWED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if NAMED.search(line) or AS_KEY.search(line):
                found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    return found


def test_no_duitku_field_name_appears_outside_the_duitku_adapter_and_simulator() -> None:
    assert _offending_lines() == []


@pytest.mark.parametrize(
    "line",
    [
        'order_uid = fields.get("merchantOrderId")',
        'entry.signature = fields["signature"]',
        'form = {"reference": reference}',
        "# Duitku's resultCode 00 means paid",
    ],
)
def test_the_scan_sees_a_duitku_field_name_in_code_or_comments(line: str) -> None:
    assert NAMED.search(line) or AS_KEY.search(line)


@pytest.mark.parametrize(
    "line", ["entry.signature = received.signature", "gateway_reference: str | None"]
)
def test_kasirs_own_words_are_not_mistaken_for_duitku_fields(line: str) -> None:
    assert NAMED.search(line) is None
    assert AS_KEY.search(line) is None
