"""A shift's drawer arithmetic, and a closed shift that never changes."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidAmount, ReasonRequired, ShiftClosed
from domain.events import CashMovementRecorded, ShiftOpened
from domain.events import ShiftClosed as ShiftClosedEvent
from domain.shifts import CashMovementKind, Shift, ShiftStatus

NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=9)


def opened(opening_float: int = 200_000) -> Shift:
    shift = Shift.open(
        staff_id="account:1", staff_name="Sari", opening_float=opening_float, now=NOW
    )
    shift.assign_id(3)
    return shift


def move(shift: Shift, kind: CashMovementKind, amount: int, reason: str = "ice") -> None:
    shift.move_cash(
        kind=kind, amount=amount, reason=reason, staff_id="account:1", staff_name="Sari", now=NOW
    )


def test_expected_cash_is_the_float_plus_cash_in_minus_cash_out() -> None:
    shift = opened(200_000)
    shift.record_cash_payment(55_000)
    shift.record_cash_payment(30_000)
    shift.record_cash_refund(10_000)
    move(shift, CashMovementKind.PAID_IN, 50_000, "change from the safe")
    move(shift, CashMovementKind.PAID_OUT, 20_000, "ice")

    assert shift.expected_cash == 200_000 + 55_000 + 30_000 - 10_000 + 50_000 - 20_000
    assert (shift.cash_payments_count, shift.cash_refunds_count) == (2, 1)


@pytest.mark.parametrize(
    ("counted", "difference"), [(300_000, 0), (290_000, -10_000), (301_000, 1_000)]
)
def test_closing_freezes_expected_counted_and_their_difference(
    counted: int, difference: int
) -> None:
    shift = opened(200_000)
    shift.record_cash_payment(100_000)

    shift.close(
        counted_cash=counted, note="count at 17:00", by="account:1", by_name="Sari", now=LATER
    )

    assert shift.status is ShiftStatus.CLOSED
    assert (shift.expected_at_close, shift.counted_cash, shift.difference) == (
        300_000,
        counted,
        difference,
    )
    assert shift.events[-1] == ShiftClosedEvent(3, "account:1", 300_000, counted, difference, False)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.record_cash_payment(1_000),
        lambda s: s.record_cash_refund(1_000),
        lambda s: move(s, CashMovementKind.PAID_IN, 1_000),
        lambda s: move(s, CashMovementKind.PAID_OUT, 1_000),
        lambda s: s.close(counted_cash=0, note=None, by="account:2", by_name="Ana", now=LATER),
    ],
    ids=["cash payment", "cash refund", "paid in", "paid out", "close again"],
)
def test_a_closed_shift_never_changes(change: object) -> None:
    shift = opened()
    shift.close(counted_cash=200_000, note=None, by="account:1", by_name="Sari", now=LATER)
    closed = (shift.expected_at_close, shift.counted_cash, shift.cash_payments, shift.paid_out)

    with pytest.raises(ShiftClosed):
        change(shift)  # type: ignore[operator]

    assert (shift.expected_at_close, shift.counted_cash, shift.cash_payments, shift.paid_out) == (
        closed
    )


@pytest.mark.parametrize("opening_float", [-1, 1.5, True])
def test_a_negative_or_fractional_float_is_refused(opening_float: int) -> None:
    with pytest.raises(InvalidAmount):
        Shift.open(staff_id="account:1", staff_name="Sari", opening_float=opening_float, now=NOW)


@pytest.mark.parametrize(
    ("amount", "reason", "error"),
    [(0, "ice", InvalidAmount), (-5, "ice", InvalidAmount), (1_000, "  ", ReasonRequired)],
)
def test_a_cash_movement_needs_an_amount_above_zero_and_a_reason(
    amount: int, reason: str, error: type[Exception]
) -> None:
    shift = opened()

    with pytest.raises(error):
        move(shift, CashMovementKind.PAID_OUT, amount, reason)

    assert (shift.paid_in, shift.paid_out, shift.expected_cash) == (0, 0, 200_000)


def test_opening_and_moving_cash_record_their_events() -> None:
    shift = opened(100_000)
    move(shift, CashMovementKind.PAID_OUT, 5_000)

    assert shift.events == [
        ShiftOpened(3, "account:1", 100_000),
        CashMovementRecorded(3, "paid_out", 5_000, "account:1"),
    ]


# The drawer invariant, over any sequence of what can happen to a drawer.
DRAWER_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["cash payment", "cash refund", "paid in", "paid out", "close"]),
        st.integers(min_value=-10, max_value=2_000_000),
    ),
    max_size=40,
)


@given(opening_float=st.integers(min_value=0, max_value=5_000_000), steps=DRAWER_STEPS)
def test_expected_cash_is_always_the_float_plus_cash_in_minus_cash_out(
    opening_float: int, steps: list[tuple[str, int]]
) -> None:
    shift = opened(opening_float)
    cash_in = cash_out = 0
    for step, amount in steps:
        before = shift.expected_cash
        try:
            if step == "cash payment":
                shift.record_cash_payment(amount)
                cash_in += amount
            elif step == "cash refund":
                shift.record_cash_refund(amount)
                cash_out += amount
            elif step == "paid in":
                move(shift, CashMovementKind.PAID_IN, amount)
                cash_in += amount
            elif step == "paid out":
                move(shift, CashMovementKind.PAID_OUT, amount)
                cash_out += amount
            else:
                shift.close(counted_cash=max(amount, 0), note=None, by="a", by_name="a", now=LATER)
        except (InvalidAmount, ShiftClosed):
            assert shift.expected_cash == before  # a refused step changes nothing
        assert shift.expected_cash == opening_float + cash_in - cash_out
        if not shift.is_open:
            assert shift.expected_at_close == opening_float + cash_in - cash_out
