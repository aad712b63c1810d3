"""Closing the process-wide resources a container created, for the service and the CLI alike."""

from entrypoints.container import Container


async def close_resources(container: Container) -> None:
    """Close the mounted simulator, the gateway's and the webhooks' HTTP clients and the
    database engine.

    The one shutdown path: the Litestar lifespan calls it when the service stops and the CLI
    when a command is done, so a resource added to the container is closed in both.
    """
    simulator = container.simulator()
    if simulator is not None:
        await simulator.aclose()
    await container.http_client().aclose()
    await container.webhook_http_client().aclose()
    await container.engine().dispose()
