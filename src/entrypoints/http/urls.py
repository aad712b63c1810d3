"""Absolute URLs the API hands out, built from PUBLIC_BASE_URL."""

from litestar.datastructures import State

from entrypoints.settings import Settings


def qris_url(state: State, order_uid: str) -> str:
    settings: Settings = state.settings
    return f"{settings.base_url}/api/v1/payments/{order_uid}/qris.png"
