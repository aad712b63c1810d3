"""Staff passwords hashed with Argon2id through argon2-cffi (the reference implementation's
maintained binding), off the event loop.

Parameters default to RFC 9106's second recommended profile (64 MiB, 3 passes, 4 lanes), which
is argon2-cffi's default; the hash string records them, so a stored hash stays checkable when
they change and `needs_rehash` tells when to upgrade it at the next good login. Hashing is
CPU- and memory-heavy: at most `concurrency` run at once per process, in worker threads.
"""

import asyncio
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY


class Argon2PasswordHasher:
    """The PasswordHasher port over argon2-cffi. `repr()` shows the parameters only."""

    def __init__(
        self,
        *,
        time_cost: int = RFC_9106_LOW_MEMORY.time_cost,
        memory_cost_kib: int = RFC_9106_LOW_MEMORY.memory_cost,
        parallelism: int = RFC_9106_LOW_MEMORY.parallelism,
        concurrency: int = 4,
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._gate = asyncio.Semaphore(concurrency)
        # Checked when a name has no account, so that answer costs what a wrong password does.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def __repr__(self) -> str:
        p = self._hasher
        return (
            f"Argon2PasswordHasher(argon2id, t={p.time_cost}, m={p.memory_cost} KiB, "
            f"p={p.parallelism})"
        )

    async def hash(self, password: str) -> str:
        async with self._gate:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        async with self._gate:
            return await asyncio.to_thread(self._verify, password, password_hash)

    def _verify(self, password: str, password_hash: str | None) -> bool:
        try:
            matched = self._hasher.verify(password_hash or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return matched and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
