"""kasir's driving side and composition root: HTTP (Litestar), the command line, the container."""
