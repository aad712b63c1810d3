"""Start-up and shutdown of the process-wide resources the container created."""

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from litestar import Litestar

from entrypoints.container import Container
from entrypoints.resources import close_resources

logger = logging.getLogger("kasir")


def resources(
    container: Container,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The lifespan that closes the container's resources when the service stops."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await close_resources(container)
            logger.info("kasir stopped")

    return lifespan
