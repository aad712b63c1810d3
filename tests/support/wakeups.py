"""One process's order wake-up hub, for tests that play several processes in one."""

import contextlib
from collections.abc import AsyncIterator

from litestar.channels.backends.base import ChannelsBackend

from entrypoints.http.live_status.channels import channels_plugin
from entrypoints.http.live_status.wakeups import OrderWakeups


@contextlib.asynccontextmanager
async def hub(backend: ChannelsBackend) -> AsyncIterator[OrderWakeups]:
    """A started hub on its own channels plugin over `backend`, stopped at the block's end."""
    async with channels_plugin(backend) as plugin:
        wakeups = OrderWakeups(plugin)
        await wakeups.start()
        try:
            yield wakeups
        finally:
            await wakeups.stop()
