"""The creation limit and the Idempotency-Key middleware wrap only the routes that create
something (the `creating` router), and the app refuses to start when a route that needs one of
them is outside it: it would silently lose its guard."""

from typing import Any

import pytest
from litestar import Litestar, Router, post
from litestar.types import ASGIApp

from entrypoints.http.app import check_creating_routes
from entrypoints.http.idempotency import IDEMPOTENT

LIMITED = "/api/v1/orders"


def limited(app: ASGIApp) -> ASGIApp:
    return app


def idempotent(app: ASGIApp) -> ASGIApp:
    return app


def app_with(path: str, opt: dict[str, Any], *, guarded: bool) -> Litestar:
    @post(path, opt=opt)
    async def create() -> None:
        return None

    if not guarded:
        return Litestar([create])
    return Litestar([Router(path="/", route_handlers=[create], middleware=[limited, idempotent])])


@pytest.mark.parametrize(
    ("path", "opt"),
    [("/api/v1/things", IDEMPOTENT), (LIMITED, {})],
    ids=["opts into Idempotency-Key", "rate limited path"],
)
def test_a_route_that_needs_a_guard_outside_the_creating_router_stops_the_start(
    path: str, opt: dict[str, Any]
) -> None:
    with pytest.raises(RuntimeError, match="outside `creating`"):
        check_creating_routes(app_with(path, opt, guarded=False), limited, idempotent, {LIMITED})

    check_creating_routes(app_with(path, opt, guarded=True), limited, idempotent, {LIMITED})


def test_a_route_that_needs_no_guard_may_live_anywhere() -> None:
    check_creating_routes(
        app_with("/api/v1/elsewhere", {}, guarded=False), limited, idempotent, {LIMITED}
    )
