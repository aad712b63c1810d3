"""A faithful in-memory simulator of Duitku's v2 QRIS API, callbacks included.

It implements signatures, QRIS payloads and error texts on its own (never importing
``adapters.duitku``), so the production adapter is tested against a second, independent
reading of API.md.
"""

from entrypoints.duitku_simulator.app import (
    DuitkuSimulator,
    build_simulator,
    create_simulator_app,
    simulator_mount,
)
from entrypoints.duitku_simulator.config import (
    DEFAULT_MOUNT_PATH,
    DEV_API_KEY,
    DEV_MERCHANT_CODE,
    FaultSettings,
    SimulatorConfig,
    SimulatorSignatures,
)

__all__ = [
    "DEFAULT_MOUNT_PATH",
    "DEV_API_KEY",
    "DEV_MERCHANT_CODE",
    "DuitkuSimulator",
    "FaultSettings",
    "SimulatorConfig",
    "SimulatorSignatures",
    "build_simulator",
    "create_simulator_app",
    "simulator_mount",
]
