"""Argon2id at its smallest cost for tests that sign staff in over HTTP.

Each sign-in would otherwise take 64 MiB and three passes of a shared CPU; the production
parameters are tested in tests/unit/crypto.
"""

from dependency_injector import providers

from adapters.crypto.passwords import Argon2PasswordHasher
from entrypoints.container import Container

CHEAP_HASHER = Argon2PasswordHasher(time_cost=1, memory_cost_kib=64, parallelism=1)


def cheap_passwords(container: Container) -> Container:
    """The container, its password hasher overridden by the cheap one."""
    container.password_hasher.override(providers.Object(CHEAP_HASHER))
    return container
