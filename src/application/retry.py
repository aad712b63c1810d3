"""Re-running a transaction that lost a race, so it decides again on what the winner wrote."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from application.errors import ConcurrentUpdate

T = TypeVar("T")

DEFAULT_ATTEMPTS = 5


async def retry_on_conflict(
    transaction: Callable[[], Awaitable[T]], *, attempts: int = DEFAULT_ATTEMPTS
) -> T:
    """Run `transaction`; on ConcurrentUpdate run it again, up to `attempts` times in all.

    Safe because each run re-reads and re-decides inside a fresh unit of work; after a lost
    race the re-read normally sees the winner's change and decides there is nothing to do.
    """
    for _ in range(attempts - 1):
        try:
            return await transaction()
        except ConcurrentUpdate:
            continue
    return await transaction()
