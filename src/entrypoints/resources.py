"""Closing the process-wide resources a container created, for the service and the CLI alike."""

from entrypoints.container import Container


async def close_resources(container: Container) -> None:
    """Close the mounted simulators, the gateways' and the webhooks' HTTP clients and the
    database engine.

    The one shutdown path: the Litestar lifespan calls it when the service stops and the CLI
    when a command is done, so a resource added to the container is closed in both.
    """
    simulator = container.simulator()
    if simulator is not None:
        await simulator.aclose()
    await container.http_client().aclose()
    await container.webhook_http_client().aclose()
    midtrans_simulator = container.midtrans_simulator()
    if midtrans_simulator is not None:
        await midtrans_simulator.aclose()
    midtrans_client = container.midtrans_http_client()
    if midtrans_client is not None:
        await midtrans_client.aclose()
    await container.engine().dispose()
