from __future__ import annotations
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from tests.e2e.conftest import SimulatorStack, FakeStack

async def test_flow(api: SimulatorStack) -> None:
    order = await api.place_order()
    r = await api.start_qris(order)
    print(r.status_code, r.json())
    uid = r.json()["order_uid"]
    p = await api.pay(uid)
    print(p.status_code, p.json())
    print(await api.order(order.id))
    print(api.snapshot())

async def test_fake(fake_api: FakeStack) -> None:
    order = await fake_api.place_order()
    r = await fake_api.start_qris(order)
    print(r.status_code, r.json())
