"""Signed payment links and stream tokens (application.order_passes): a pass opens only for
the order it was issued for, only as its own kind, only unaltered, and only until it expires."""

from datetime import UTC, datetime, timedelta

import pytest

from adapters.crypto.aead import AesGcmSealer
from adapters.in_memory.clock import SettableClock
from application.callers import OrderPassHolder, OrderTokenHolder, require_order_access
from application.errors import NotFound
from application.order_passes import (
    PAYMENT_LINK,
    STREAM_TOKEN,
    OrderPasses,
    PassExpired,
    PassKind,
    PassRefused,
)
from domain.orders import Order, OrderLine

SECRET = "a-secret-of-at-least-thirty-two-characters"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def passes(
    kind: PassKind = PAYMENT_LINK,
    *,
    clock: SettableClock | None = None,
    secret: str = SECRET,
    purpose: bytes = b"payment-page-links",
) -> OrderPasses:
    return OrderPasses(
        kind=kind,
        sealer=AesGcmSealer(secret, purpose=purpose),
        clock=clock or SettableClock(NOW),
        lifetime=timedelta(hours=1),
    )


def test_a_pass_opens_for_its_order_until_it_expires() -> None:
    clock = SettableClock(NOW)
    issued = passes(clock=clock).issue(7)

    assert issued.expires_at == NOW + timedelta(hours=1)
    assert passes(clock=clock).check(7, issued.value) == issued.expires_at
    clock.advance(timedelta(minutes=59, seconds=59))
    assert passes(clock=clock).check(7, issued.value) == issued.expires_at


def test_an_expired_pass_is_told_apart_from_a_forged_one() -> None:
    clock = SettableClock(NOW)
    issued = passes(clock=clock).issue(7)
    clock.advance(timedelta(hours=1))

    with pytest.raises(PassExpired) as expired:
        passes(clock=clock).check(7, issued.value)
    assert expired.value.code == "payment_link_expired"


def _flip_a_character(value: str) -> str:
    # A character inside (the last one may hold only padding bits that decode to nothing).
    return value[:10] + ("A" if value[10] != "A" else "B") + value[11:]


@pytest.mark.parametrize(
    ("checker", "order_id", "alter"),
    [
        (passes(), 8, str),
        (passes(), 7, _flip_a_character),
        (passes(), 7, lambda v: v[:-4]),
        (passes(), 7, lambda v: v + "!"),
        (passes(), 7, lambda v: "é" + v),
        (passes(), 7, lambda v: ""),
        (passes(secret=SECRET + "x"), 7, str),
        (passes(STREAM_TOKEN, purpose=b"order-stream-tokens"), 7, str),
    ],
    ids=[
        "another order",
        "altered",
        "truncated",
        "not base64",
        "not ascii",
        "empty",
        "another secret",
        "a stream token checker",
    ],
)
def test_a_pass_is_refused_for_another_order_kind_secret_or_when_altered(
    checker: OrderPasses, order_id: int, alter: object
) -> None:
    issued = passes().issue(7)
    assert callable(alter)

    with pytest.raises(PassRefused) as refused:
        checker.check(order_id, alter(issued.value))
    assert refused.value.code == checker.kind.refused_code


def test_a_missing_pass_is_refused_with_its_kinds_code() -> None:
    with pytest.raises(PassRefused) as refused:
        passes(STREAM_TOKEN).check(7, None)
    assert refused.value.code == "stream_token_invalid"


def test_two_passes_for_one_order_look_unrelated() -> None:
    assert passes().issue(7).value != passes().issue(7).value  # a fresh nonce each time


def _order(order_id: int) -> Order:
    order = Order(
        lines=(OrderLine(1, "Nasi goreng", 25_000, 1),), access_token_hash="h", placed_at=NOW
    )
    order.id = order_id
    return order


def test_a_pass_holder_acts_on_its_own_order_only() -> None:
    assert require_order_access(OrderPassHolder(7), _order(7)).id == 7
    with pytest.raises(NotFound):
        require_order_access(OrderPassHolder(7), _order(8))
    with pytest.raises(NotFound):
        require_order_access(OrderTokenHolder("not-the-hash"), _order(7))
