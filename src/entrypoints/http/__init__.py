"""kasir's HTTP API (Litestar, msgspec schemas)."""
