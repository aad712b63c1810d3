"""Start-up and shutdown of the process-wide resources the container created."""

import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar

from entrypoints.container import Container

logger = logging.getLogger("kasir")


@contextlib.asynccontextmanager
async def resources(app: Litestar) -> AsyncIterator[None]:
    """Close the HTTP client, the mounted simulator and the database engine at shutdown."""
    container: Container = app.state.container
    try:
        yield
    finally:
        simulator = container.simulator()
        if simulator is not None:
            await simulator.aclose()
        await container.http_client().aclose()
        await container.engine().dispose()
        logger.info("kasir stopped")
