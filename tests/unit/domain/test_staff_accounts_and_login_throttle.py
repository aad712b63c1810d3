"""The rules of staff accounts (names, passwords, the last admin) and of failed-login slowing."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.login_throttle import FREE_FAILURES, MAX_SLOWDOWN, FailedLogins, ThrottlePolicy
from domain.staff import (
    InvalidStaffAccount,
    LastAdmin,
    Role,
    StaffAccount,
    WeakPassword,
    check_new_password,
    name_key,
    staff_name,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
POLICY = ThrottlePolicy(lock_after=8, lockout=timedelta(minutes=15))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Sari ", "Sari"),
        ("Dewi Lestari", "Dewi Lestari"),
        ("o'neil.k@kasir-1", "o'neil.k@kasir-1"),
    ],
)
def test_a_staff_name_is_stored_trimmed(typed: str, stored: str) -> None:
    assert staff_name(typed) == stored


@pytest.mark.parametrize("bad", ["", "   ", "a" * 65, "Sari\nAdmin", "Sari\x00", "<script>"])
def test_a_staff_name_is_1_to_64_letters_digits_spaces_or_a_few_marks(bad: str) -> None:
    with pytest.raises(InvalidStaffAccount):
        staff_name(bad)


def test_names_differing_only_in_case_are_the_same_account() -> None:
    assert name_key("SARI") == name_key(" sari ") == name_key("Sari")
    assert name_key("Straße") == name_key("STRASSE")


@pytest.mark.parametrize(("length", "ok"), [(9, False), (10, True), (256, True), (257, False)])
def test_a_new_password_has_10_to_256_characters_and_the_error_never_shows_it(
    length: int, ok: bool
) -> None:
    password = "x" * length
    if ok:
        assert check_new_password(password) == password
        return
    with pytest.raises(WeakPassword) as refused:
        check_new_password(password)
    assert password not in refused.value.message


def account(role: Role = Role.ADMIN, *, active: bool = True) -> StaffAccount:
    created = StaffAccount.create(name="Ani", role=role, password_hash="$argon2id$h", now=NOW)
    created.active = active
    return created


@pytest.mark.parametrize("change", [{"active": False}, {"role": Role.CASHIER}])
def test_the_last_active_admin_is_never_deactivated_or_demoted(change: dict[str, object]) -> None:
    ani = account()
    with pytest.raises(LastAdmin):
        ani.change(now=NOW, other_active_admins=0, **change)  # type: ignore[arg-type]
    assert (ani.role, ani.active) == (Role.ADMIN, True)

    ani.change(now=NOW, other_active_admins=1, **change)  # type: ignore[arg-type]


def test_cashiers_and_inactive_admins_change_freely_and_the_hash_never_shows() -> None:
    sari = account(Role.CASHIER)
    sari.change(now=NOW, active=False, other_active_admins=0)
    retired = account(active=False)
    retired.change(now=NOW, role=Role.CASHIER, other_active_admins=0)

    assert "$argon2id" not in repr(sari)
    assert "$argon2id" not in repr(sari.audit_view())


def test_failures_are_free_then_slowed_doubling_then_locked() -> None:
    waits = [POLICY.wait_after(n).total_seconds() for n in range(1, 10)]

    assert waits == [0, 0, 1, 2, 4, 8, 16, 900, 900]
    assert FREE_FAILURES == 3


@given(st.integers(min_value=FREE_FAILURES, max_value=POLICY.lock_after - 1))
def test_a_slowdown_never_exceeds_its_cap_nor_reaches_the_lockout(failures: int) -> None:
    assert POLICY.wait_after(failures) <= min(MAX_SLOWDOWN, POLICY.lockout)


def test_failures_are_forgotten_one_lockout_after_the_last_one() -> None:
    record = FailedLogins.none(NOW)
    for _ in range(5):
        record = record.counted(NOW, POLICY)

    later = record.counted(NOW + POLICY.lockout, POLICY)
    sooner = record.counted(NOW + POLICY.lockout - timedelta(seconds=1), POLICY)

    assert (later.failures, sooner.failures) == (1, 6)
    assert record.retry_after(NOW) == timedelta(seconds=4)
    assert record.retry_after(record.blocked_until) is None
    assert record.forgotten_at(POLICY) == NOW + POLICY.lockout


@pytest.mark.parametrize(
    ("lock_after", "lockout"), [(FREE_FAILURES, timedelta(minutes=1)), (8, timedelta(0))]
)
def test_a_policy_must_leave_free_failures_and_lock_for_some_time(
    lock_after: int, lockout: timedelta
) -> None:
    with pytest.raises(ValueError, match="must"):
        ThrottlePolicy(lock_after=lock_after, lockout=lockout)
