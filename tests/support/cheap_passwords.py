"""Argon2id at its smallest cost for tests that sign staff in over HTTP.

Each sign-in would otherwise take 64 MiB and three passes of a shared CPU; the production
parameters are tested in tests/unit/crypto.
"""

from tests.support.overrides import replace

from adapters.crypto.passwords import Argon2PasswordHasher
from entrypoints.container import Container

CHEAP_HASHER = Argon2PasswordHasher(time_cost=1, memory_cost_kib=64, parallelism=1)


def cheap_passwords(container: Container) -> Container:
    """The container, its password hasher overridden by the cheap one."""
    replace(container, password_hasher=CHEAP_HASHER)
    return container
