"""The text receipt for thermal printers: the exact layout at 48 and 32 columns (golden
examples), Indonesian money format, and, whatever the menu's names hold, no line wider than
the paper (a property over any text, wide and combining characters included)."""

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.receipts import Receipt, ReceiptLine, ReceiptRefund, Restaurant
from domain.payments import PaymentMethod
from entrypoints.receipt_text import WIDTHS, PaperWidth, render, rupiah_text, width_of

pytestmark = pytest.mark.unit

JAKARTA = ZoneInfo("Asia/Jakarta")
WARUNG = Restaurant("Warung Sari", "Jl. Sabang No. 12, Menteng, Jakarta Pusat", JAKARTA, "WIB")
PAID = datetime(2026, 11, 30, 12, 5, tzinfo=UTC).astimezone(JAKARTA)  # 19:05 in Jakarta

CASH = Receipt(
    restaurant=WARUNG,
    order_id=42,
    table_number="7",
    lines=(
        ReceiptLine("Nasi goreng spesial telur mata sapi dan kerupuk udang", 2, 25_000, 50_000),
        ReceiptLine("Es teh manis", 1, 5_000, 5_000),
    ),
    total=55_000,
    method=PaymentMethod.CASH,
    paid_at=PAID,
    printed_at=PAID,
    print_number=1,
    tendered=100_000,
    change=45_000,
    cashier="sari",
)
QRIS_REPRINT = Receipt(
    restaurant=WARUNG,
    order_id=43,
    table_number=None,
    lines=(ReceiptLine("麵 Bakmi ayam 特別", 1, 32_000, 32_000),),
    total=32_000,
    method=PaymentMethod.QRIS,
    paid_at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC).astimezone(JAKARTA),
    printed_at=datetime(2026, 11, 30, 17, 30, tzinfo=UTC).astimezone(JAKARTA),
    print_number=3,
    gateway_reference="DS1234526ABCDEF",
)

CASH_48 = """\
                  Warung Sari
   Jl. Sabang No. 12, Menteng, Jakarta Pusat
------------------------------------------------
No. pesanan                                  #42
Meja                                           7
Waktu                           30/11/2026 19:05
Kasir                                       sari
------------------------------------------------
Nasi goreng spesial telur mata sapi dan kerupuk
udang
  2 x Rp 25.000                        Rp 50.000
Es teh manis
  1 x Rp 5.000                          Rp 5.000
------------------------------------------------
TOTAL                                  Rp 55.000
Bayar                                      Tunai
Tunai diterima                        Rp 100.000
Kembalian                              Rp 45.000
------------------------------------------------
                  Terima kasih
"""

CASH_32 = """\
          Warung Sari
  Jl. Sabang No. 12, Menteng,
         Jakarta Pusat
--------------------------------
No. pesanan                  #42
Meja                           7
Waktu           30/11/2026 19:05
Kasir                       sari
--------------------------------
Nasi goreng spesial telur mata
sapi dan kerupuk udang
  2 x Rp 25.000        Rp 50.000
Es teh manis
  1 x Rp 5.000          Rp 5.000
--------------------------------
TOTAL                  Rp 55.000
Bayar                      Tunai
Tunai diterima        Rp 100.000
Kembalian              Rp 45.000
--------------------------------
          Terima kasih
"""

# A third copy of a QRIS receipt paid at 23:30 and printed at 00:30 the next day (Jakarta);
# the two CJK characters of the name take two columns each.
QRIS_REPRINT_32 = """\
 *** CETAK ULANG / REPRINT ***
          Warung Sari
  Jl. Sabang No. 12, Menteng,
         Jakarta Pusat
--------------------------------
No. pesanan                  #43
Waktu           30/11/2026 23:30
--------------------------------
麵 Bakmi ayam 特別
  1 x Rp 32.000        Rp 32.000
--------------------------------
TOTAL                  Rp 32.000
Bayar                       QRIS
Ref.             DS1234526ABCDEF
--------------------------------
          Terima kasih
    CETAK ULANG / REPRINT #3
        01/12/2026 00:30
"""


# The cash receipt after 5 000 of it was refunded at 19:30: the refund and what stays paid.
REFUNDED = dataclasses.replace(
    CASH,
    refunds=(
        ReceiptRefund(
            5_000,
            PaymentMethod.CASH,
            datetime(2026, 11, 30, 12, 30, tzinfo=UTC).astimezone(JAKARTA),
        ),
    ),
)
REFUNDED_32 = CASH_32.replace(
    "--------------------------------\n          Terima kasih\n",
    """--------------------------------
Refund Tunai
30/11/2026 19:30       -Rp 5.000
TOTAL SETELAH REFUND   Rp 50.000
--------------------------------
          Terima kasih
""",
)


@pytest.mark.parametrize(
    ("receipt", "width", "golden"),
    [
        (CASH, 48, CASH_48),
        (CASH, 32, CASH_32),
        (QRIS_REPRINT, 32, QRIS_REPRINT_32),
        (REFUNDED, 32, REFUNDED_32),
    ],
    ids=["cash-80mm", "cash-58mm", "qris-reprint-58mm", "refunded-58mm"],
)
def test_a_receipt_is_laid_out_exactly_as_the_golden_example(
    receipt: Receipt, width: PaperWidth, golden: str
) -> None:
    assert render(receipt, width) == golden


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "Rp 0"),
        (500, "Rp 500"),
        (5_000, "Rp 5.000"),
        (25_000, "Rp 25.000"),
        (1_234_567, "Rp 1.234.567"),
        (1_000_000_000_000, "Rp 1.000.000.000.000"),
        (-25_000, "-Rp 25.000"),
    ],
)
def test_money_is_written_the_indonesian_way(amount: int, text: str) -> None:
    assert rupiah_text(amount) == text


def test_only_a_copy_after_the_first_carries_the_reprint_marker() -> None:
    assert "REPRINT" not in render(CASH, 48)
    lines = render(dataclasses.replace(CASH, print_number=2), 48).splitlines()
    assert lines[0].strip() == "*** CETAK ULANG / REPRINT ***"
    assert lines[-1].strip() == "CETAK ULANG / REPRINT #2 30/11/2026 19:05"
    assert lines[1:-1] == CASH_48.splitlines()


# Any printable text (letters of every script, CJK, emoji, combining marks), no controls.
names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=120,
).filter(str.strip)
money = st.integers(min_value=0, max_value=1_000_000_000_000)


@st.composite
def receipts(draw: st.DrawFn) -> Receipt:
    lines = draw(
        st.lists(
            st.builds(ReceiptLine, names, st.integers(1, 99), money, money), min_size=1, max_size=5
        )
    )
    cash = draw(st.booleans())
    return Receipt(
        restaurant=Restaurant(draw(names), draw(st.text(max_size=300)), JAKARTA, "WIB"),
        order_id=draw(st.integers(1, 10**18)),
        table_number=draw(st.none() | names.map(lambda name: name[:20])),
        lines=tuple(lines),
        total=draw(money),
        method=PaymentMethod.CASH if cash else PaymentMethod.QRIS,
        paid_at=PAID,
        printed_at=PAID,
        print_number=draw(st.integers(1, 10**6)),
        tendered=draw(money) if cash else None,
        change=draw(money) if cash else None,
        gateway_reference=None if cash else draw(st.text(min_size=1, max_size=255)),
        cashier=draw(st.none() | names),
        refunds=tuple(
            draw(
                st.lists(
                    st.builds(ReceiptRefund, money, st.sampled_from(PaymentMethod), st.just(PAID)),
                    max_size=3,
                )
            )
        ),
    )


@settings(max_examples=300, deadline=None)
@given(receipt=receipts(), width=st.sampled_from(WIDTHS))
def test_no_line_of_any_receipt_is_wider_than_the_paper(receipt: Receipt, width: int) -> None:
    text = render(receipt, width)  # type: ignore[arg-type]
    lines = text.splitlines()
    assert text.endswith("\n")
    assert all(width_of(line) <= width for line in lines), [
        line for line in lines if width_of(line) > width
    ]
    assert f"Rp {receipt.total:,}".replace(",", ".") in text  # the total is never cut
