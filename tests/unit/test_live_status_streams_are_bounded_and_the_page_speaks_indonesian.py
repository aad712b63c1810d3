"""The HTTP edge of the live status: open streams are bounded per process and per order and
every slot comes back however its stream ends; the payment page speaks Indonesian unless the
switch or the browser asks for English."""

import pytest

from entrypoints.http.live_status.slots import StreamSlots, TooManyStreams
from entrypoints.http.payment_page.texts import TEXTS, choose_language


def test_streams_beyond_the_order_or_process_bound_are_refused() -> None:
    slots = StreamSlots(per_process=3, per_order=2)
    held = [slots.take(1), slots.take(1)]

    with pytest.raises(TooManyStreams, match="order"):
        slots.take(1)
    held.append(slots.take(2))
    with pytest.raises(TooManyStreams, match="process"):
        slots.take(3)
    assert slots.open == len(held) == 3


def test_a_slot_comes_back_once_when_its_stream_ends_or_is_dropped() -> None:
    slots = StreamSlots(per_process=2, per_order=2)
    slot = slots.take(1)
    with slot.held():
        assert slots.open == 1
    slot.give_back()  # a second time changes nothing
    never_started = slots.take(1)
    del never_started  # a response that never ran its stream

    assert slots.open == 0
    assert [slots.take(1), slots.take(1)]


@pytest.mark.parametrize(
    ("switch", "accept_language", "expected"),
    [
        (None, None, "id"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR,en;q=0.5,id;q=0.8", "id"),
        (None, "fr-FR,en;q=0.5", "en"),
        (None, "id;q=0,en;q=0.1", "en"),
        (None, "en;q=abc", "id"),
        ("id", "en", "id"),
        ("en", None, "en"),
        ("xx", "en", "en"),
    ],
)
def test_the_page_speaks_indonesian_unless_english_is_asked_for(
    switch: str | None, accept_language: str | None, expected: str
) -> None:
    assert choose_language(switch, accept_language) == expected


def test_both_languages_say_the_same_things() -> None:
    assert TEXTS["id"].keys() == TEXTS["en"].keys()
    assert (TEXTS["id"]["paid"], TEXTS["en"]["paid"]) == ("Lunas", "Paid")
    assert (TEXTS["id"]["expired"], TEXTS["en"]["expired"]) == ("Kedaluwarsa", "Expired")
