"""check_status_once: one transactionStatus request, never retried, bounded by its timeout
and cancelled cleanly when its caller stops waiting (the cashier's question "was this QR just
paid?" before taking cash)."""

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from adapters.duitku.gateway import DuitkuPaymentGateway
from application.errors import GatewayUnavailable
from application.gateway import GatewayPaymentState

GatewayFactory = Callable[..., DuitkuPaymentGateway]

ORDER = "kx7Qm2pLr9"
QUICK = timedelta(milliseconds=50)


async def test_one_answer_is_read_like_a_status_check(make_gateway: GatewayFactory) -> None:
    requests: list[httpx.Request] = []

    def paid(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        body = {"merchantOrderId": ORDER, "amount": "40000", "statusCode": "00"}
        return httpx.Response(200, json=body)

    status = await make_gateway(paid).check_status_once(ORDER)

    assert (status.state, status.amount) == (GatewayPaymentState.PAID, 40_000)
    assert [r.url.path for r in requests] == ["/webapi/api/merchant/transactionStatus"]


async def test_a_transient_failure_is_not_retried(
    make_gateway: GatewayFactory, sleeps: list[float]
) -> None:
    requests: list[httpx.Request] = []

    def down(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(503, json={"Message": "Service Unavailable"})

    with pytest.raises(GatewayUnavailable):
        await make_gateway(down).check_status_once(ORDER)

    assert len(requests) == 1
    assert sleeps == []


async def test_a_caller_that_stops_waiting_is_not_held_up(
    make_gateway: GatewayFactory,
) -> None:
    async def silent(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={"statusCode": "00"})

    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(QUICK.total_seconds()):
            await make_gateway(silent).check_status_once(ORDER)

    assert time.perf_counter() - started < 1
