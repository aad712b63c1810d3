"""The Sealer port with AES-256-GCM from the maintained `cryptography` library.

The 256-bit key is derived from KASIR_SECRET_KEY with HKDF-SHA256 and a purpose label, so the
same secret can later key other purposes (signed links) without ever reusing a key. Each seal
uses a fresh random 96-bit nonce; the context is authenticated data (bound, not stored).
Layout: one version byte, the nonce, then the ciphertext with its 16-byte tag.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.sealing import UnreadableSeal

_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16
MIN_SECRET_LENGTH = 32


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 256-bit key for one purpose, derived from the service's secret."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"kasir/" + purpose).derive(
        secret.encode()
    )


class AesGcmSealer:
    """Seals with AES-256-GCM under a key derived for `purpose`; the key never leaves it."""

    def __init__(self, secret: str, *, purpose: bytes) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the secret must have at least {MIN_SECRET_LENGTH} characters")
        self._aead = AESGCM(derive_key(secret, purpose))
        self._purpose = purpose

    def __repr__(self) -> str:
        return f"AesGcmSealer(purpose={self._purpose!r}, key='***')"

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, context)

    def open(self, sealed: bytes, *, context: bytes) -> bytes:
        if len(sealed) < 1 + _NONCE_BYTES + _TAG_BYTES or not sealed.startswith(_VERSION):
            raise UnreadableSeal("not a sealed value of this version")
        nonce = sealed[1 : 1 + _NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, sealed[1 + _NONCE_BYTES :], context)
        except InvalidTag:
            raise UnreadableSeal("the sealed value does not verify with this secret") from None
