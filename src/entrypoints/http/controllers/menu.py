"""Menu items: read by anyone, changed by staff."""

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from application.callers import Staff
from application.use_cases.manage_menu import AddMenuItem, ListMenuItems, UpdateMenuItem
from entrypoints.http.auth import STAFF_ONLY as STAFF
from entrypoints.http.errors import responses
from entrypoints.http.schemas.constraints import PathId
from entrypoints.http.schemas.menu import (
    CreateMenuItemRequest,
    MenuItemResponse,
    UpdateMenuItemRequest,
)


class MenuController(Controller):
    path = "/api/v1/menu-items"
    tags = ["menu"]  # noqa: RUF012

    @get("/", summary="The menu", responses=responses(400))
    async def list_items(
        self,
        list_menu_items: NamedDependency[ListMenuItems],
        available_only: FromQuery[bool] = False,
    ) -> list[MenuItemResponse]:
        items = await list_menu_items.execute(available_only=available_only)
        return [MenuItemResponse.of(item) for item in items]

    @post(
        "/",
        summary="Add a menu item (staff)",
        security=STAFF,
        responses=responses(400, 401, 413, 415, 422),
    )
    async def add_item(
        self,
        data: JSONBody[CreateMenuItemRequest],
        add_menu_item: NamedDependency[AddMenuItem],
        staff: NamedDependency[Staff],
    ) -> MenuItemResponse:
        item = await add_menu_item.execute(
            caller=staff, name=data.name, price=data.price, available=data.available
        )
        return MenuItemResponse.of(item)

    @patch(
        "/{item_id:int}",
        summary="Change a menu item (staff)",
        security=STAFF,
        responses=responses(400, 401, 404, 413, 415, 422),
    )
    async def update_item(
        self,
        item_id: PathId,
        data: JSONBody[UpdateMenuItemRequest],
        update_menu_item: NamedDependency[UpdateMenuItem],
        staff: NamedDependency[Staff],
    ) -> MenuItemResponse:
        item = await update_menu_item.execute(
            item_id, caller=staff, name=data.name, price=data.price, available=data.available
        )
        return MenuItemResponse.of(item)
