"""Sealing secrets that must be stored to be given back later (an idempotent replay of a new
order hands its access token out again), so the database alone never reveals them.

The port only promises authenticated encryption bound to a context: a sealed value opens
only with the same secret and the same context (e.g. the idempotency key it belongs to), so a
row copied under another key, or altered, does not open.
"""

from typing import Protocol


class UnreadableSeal(Exception):
    """The sealed value was altered, belongs to another context, or was sealed with another
    secret (KASIR_SECRET_KEY changed)."""


class Sealer(Protocol):
    """Authenticated encryption with a secret shared by every process of the service."""

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes:
        """Encrypt and authenticate `plaintext`, bound to `context` (not stored with it)."""
        ...

    def open(self, sealed: bytes, *, context: bytes) -> bytes:
        """The plaintext of `sealed`; raises UnreadableSeal when it does not verify."""
        ...
