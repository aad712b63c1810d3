"""Admins manage staff accounts and read the audit log."""

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import FromQuery, JSONBody, Parameter

from application.audit import MAX_PAGE, AuditQuery
from application.callers import Staff
from application.use_cases.audit_log import ReadAuditLog
from application.use_cases.manage_staff import AddStaff, ChangeStaff, ListStaff
from entrypoints.http.auth import STAFF_ONLY
from entrypoints.http.errors import responses
from entrypoints.http.schemas.constraints import MAX_ID, PathId
from entrypoints.http.schemas.staff import (
    AuditEntryResponse,
    AuditPage,
    ChangeStaffRequest,
    CreateStaffRequest,
    StaffAccountResponse,
)

ShortQuery = Annotated[str | None, Parameter(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]


class StaffController(Controller):
    path = "/api/v1/staff"
    tags = ["staff"]  # noqa: RUF012

    @get(
        "/",
        summary="Every staff account (admin)",
        security=STAFF_ONLY,
        responses=responses(400, 401, 403),
    )
    async def list_accounts(
        self, list_staff: NamedDependency[ListStaff], staff: NamedDependency[Staff]
    ) -> list[StaffAccountResponse]:
        return [StaffAccountResponse.of(a) for a in await list_staff.execute(caller=staff)]

    @post(
        "/",
        summary="Add a staff account (admin)",
        security=STAFF_ONLY,
        responses=responses(400, 401, 403, 409, 413, 415, 422),
    )
    async def add_account(
        self,
        data: JSONBody[CreateStaffRequest],
        add_staff: NamedDependency[AddStaff],
        staff: NamedDependency[Staff],
    ) -> StaffAccountResponse:
        account = await add_staff.execute(
            caller=staff, name=data.name, role=data.role, password=data.password
        )
        return StaffAccountResponse.of(account)

    @patch(
        "/{account_id:int}",
        summary="Change a staff account: role, active, password reset (admin)",
        description=(
            "Deactivating or resetting the password ends the account's sessions at once. "
            "The last active admin cannot be deactivated or demoted (409 last_admin)."
        ),
        security=STAFF_ONLY,
        responses=responses(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def change_account(
        self,
        account_id: PathId,
        data: JSONBody[ChangeStaffRequest],
        change_staff: NamedDependency[ChangeStaff],
        staff: NamedDependency[Staff],
    ) -> StaffAccountResponse:
        account = await change_staff.execute(
            account_id, caller=staff, role=data.role, active=data.active, password=data.password
        )
        return StaffAccountResponse.of(account)


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["staff"]  # noqa: RUF012

    @get(
        "/",
        summary="The audit log, newest first (admin)",
        description=(
            "Filters: actor (a staff id such as account:3 or token:pos), action (a dotted "
            "code such as auth.login_failed), subject (staff:account:3, menu_item:5), "
            "since/until (ISO times; until is exclusive). Page with before_id = the "
            "next_before_id of the previous page."
        ),
        security=STAFF_ONLY,
        responses=responses(400, 401, 403),
    )
    async def read(
        self,
        read_audit_log: NamedDependency[ReadAuditLog],
        staff: NamedDependency[Staff],
        actor: FromQuery[ShortQuery] = None,
        action: FromQuery[ShortQuery] = None,
        subject: FromQuery[ShortQuery] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        before_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> AuditPage:
        if any(t is not None and t.utcoffset() is None for t in (since, until)):
            raise ValidationException("since and until need a time zone (e.g. Z or +07:00)")
        query = AuditQuery(
            actor_id=actor,
            action=action,
            subject=subject,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
        )
        entries = await read_audit_log.execute(query, caller=staff)
        full = len(entries) == limit
        return AuditPage(
            entries=[AuditEntryResponse.of(e) for e in entries],
            next_before_id=entries[-1].id if full and entries else None,
        )
