"""Liveness and readiness."""

from typing import Any

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.http.errors import ErrorBody, error_response, error_spec, responses

# Any route answers 400 for a control character in its query (entrypoints/http/input_guard).
_MALFORMED = "Malformed request (code invalid_request)"


class HealthResponse(msgspec.Struct, kw_only=True):
    status: str


class HealthController(Controller):
    tags = ["health"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/health", summary="The process is up", responses={400: error_spec(_MALFORMED)})
    async def health(self) -> HealthResponse:
        return HealthResponse(status="ok")

    @get("/ready", summary="The database answers", responses=responses(400, 503))
    async def ready(self, database_engine: NamedDependency[AsyncEngine]) -> Response[Any]:
        try:
            async with database_engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return error_response(503, "service_unavailable", "the database is not reachable")
        return Response(HealthResponse(status="ready"))


__all__ = ["ErrorBody", "HealthController"]
