"""AesGcmSealer (AES-256-GCM, key from KASIR_SECRET_KEY by HKDF): a sealed value reveals
nothing and opens only with the same secret, purpose and context, unaltered."""

import pytest

from adapters.crypto.aead import AesGcmSealer
from application.sealing import UnreadableSeal

SECRET = "a-secret-of-at-least-thirty-two-characters"
TOKEN = b'{"access_token":"tok_7c1f0b9e2d"}'


def sealer(secret: str = SECRET, purpose: bytes = b"idempotent-replays") -> AesGcmSealer:
    return AesGcmSealer(secret, purpose=purpose)


def test_a_sealed_value_opens_again_and_does_not_contain_the_plaintext() -> None:
    sealed = sealer().seal(TOKEN, context=b"key-1")

    assert b"tok_7c1f0b9e2d" not in sealed
    assert sealer().open(sealed, context=b"key-1") == TOKEN


def test_the_same_value_sealed_twice_looks_different() -> None:
    assert sealer().seal(TOKEN, context=b"k") != sealer().seal(TOKEN, context=b"k")


@pytest.mark.parametrize(
    ("opener", "context"),
    [
        (sealer(), b"key-2"),
        (sealer(secret=SECRET + "!"), b"key-1"),
        (sealer(purpose=b"signed-links"), b"key-1"),
    ],
    ids=["another context", "another secret", "another purpose"],
)
def test_it_does_not_open_elsewhere(opener: AesGcmSealer, context: bytes) -> None:
    sealed = sealer().seal(TOKEN, context=b"key-1")

    with pytest.raises(UnreadableSeal):
        opener.open(sealed, context=context)


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "plaintext"])
def test_an_altered_or_foreign_value_does_not_open(damage: str) -> None:
    sealed = bytearray(sealer().seal(TOKEN, context=b"k"))
    if damage == "flip a byte":
        sealed[-1] ^= 1
    elif damage == "truncate":
        del sealed[20:]
    else:
        sealed = bytearray(TOKEN)

    with pytest.raises(UnreadableSeal):
        sealer().open(bytes(sealed), context=b"k")


def test_the_secret_never_shows_in_its_repr_and_a_short_one_is_refused() -> None:
    assert SECRET not in repr(sealer())
    with pytest.raises(ValueError, match="at least 32"):
        AesGcmSealer("too-short", purpose=b"x")
