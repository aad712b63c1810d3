"""An in-memory simulator of Midtrans's Core API for QRIS: charge, status, cancel, signed
JSON notifications with retries, control routes and fault injection.

It implements signatures and authentication on its own (never importing
``adapters.midtrans``), so the adapter is tested against a second, independent reading of
Midtrans's documentation. Its control API mirrors the Duitku simulator's.
"""

from entrypoints.midtrans_simulator.app import (
    MidtransSimulator,
    build_midtrans_simulator,
    create_midtrans_simulator_app,
    midtrans_simulator_mount,
)
from entrypoints.midtrans_simulator.config import (
    DEFAULT_MOUNT_PATH,
    DEV_MERCHANT_ID,
    DEV_SERVER_KEY,
    MidtransSimulatorConfig,
)

__all__ = [
    "DEFAULT_MOUNT_PATH",
    "DEV_MERCHANT_ID",
    "DEV_SERVER_KEY",
    "MidtransSimulator",
    "MidtransSimulatorConfig",
    "build_midtrans_simulator",
    "create_midtrans_simulator_app",
    "midtrans_simulator_mount",
]
