"""Staff sign in with a name and password and sign out; the token is a Bearer token."""

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.callers import Staff
from application.use_cases.sign_in import LogIn, LogOut
from entrypoints.http.auth import STAFF_ONLY, bearer_token
from entrypoints.http.errors import responses
from entrypoints.http.schemas.staff import LoginRequest, LoginResponse, StaffView


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["staff"]  # noqa: RUF012

    @post(
        "/login",
        summary="Sign in: a session token for the staff account",
        description=(
            "The same 401 invalid_credentials for an unknown name, a wrong password and a "
            "deactivated account. Repeated failures for one name from one address are slowed "
            "and then locked for a while: 429 login_throttled with Retry-After."
        ),
        security=[],
        status_code=200,
        responses=responses(400, 401, 413, 415, 429),
    )
    async def log_in(
        self,
        data: JSONBody[LoginRequest],
        log_in: NamedDependency[LogIn],
        client_address: NamedDependency[str],
    ) -> LoginResponse:
        signed_in = await log_in.execute(
            name=data.name, password=data.password, address=client_address
        )
        account = signed_in.account
        return LoginResponse(
            token=signed_in.token,
            expires_at=signed_in.expires_at,
            staff=StaffView(id=account.staff_id, name=account.name, role=account.role),
        )

    @post(
        "/logout",
        summary="Sign out: the session token stops working (an API token is left as it is)",
        security=STAFF_ONLY,
        status_code=204,
        responses=responses(400, 401),
    )
    async def log_out(
        self,
        request: Request[Any, Any, Any],
        log_out: NamedDependency[LogOut],
        staff: NamedDependency[Staff],
    ) -> None:
        token = bearer_token(request.headers.get("Authorization")) or ""
        await log_out.execute(caller=staff, token=token)
