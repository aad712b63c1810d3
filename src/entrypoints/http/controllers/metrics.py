"""Prometheus metrics in the text exposition format, for the scraper holding METRICS_TOKEN.

Order and payment counts are business data: without METRICS_TOKEN set, or without the right
`Authorization: Bearer` header, /metrics answers 404 like a path that does not exist.
"""

import hashlib
import hmac
import os
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import Headers
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from pydantic import SecretStr

from entrypoints.settings import Settings


@get("/metrics", summary="Prometheus metrics", include_in_schema=False, sync_to_thread=False)
def metrics(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings]
) -> Response[bytes]:
    if not _authorized(settings.metrics_token, request.headers):
        raise NotFoundException()
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several worker processes: add up what each wrote to the shared directory.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(
        generate_latest(registry),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )


def _authorized(token: SecretStr | None, headers: Headers) -> bool:
    if token is None:
        return False
    scheme, _, presented = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Digests of equal length, compared in constant time: timing tells nothing of the token.
    expected = hashlib.sha256(token.get_secret_value().encode()).digest()
    return hmac.compare_digest(hashlib.sha256(presented.strip().encode()).digest(), expected)
