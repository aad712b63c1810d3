"""check_status: transactionStatus mapping, "not found", amount parsing and bounded retries."""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from adapters.duitku.config import DuitkuConfig
from adapters.duitku.gateway import DuitkuPaymentGateway
from application.errors import GatewayRejected, GatewayTimeout, GatewayUnavailable
from application.gateway import GatewayPaymentState, GatewayStatus

GatewayFactory = Callable[..., DuitkuPaymentGateway]

ORDER = "kx7Qm2pLr9"


def status_answer(**overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "merchantOrderId": ORDER,
        "reference": "D0001CX80TZJ85Q70QCI",
        "amount": "40000",
        "fee": "0.00",
        "statusCode": "00",
        "statusMessage": "SUCCESS",
    }
    body.update(overrides)
    return httpx.Response(200, json=body)


class Script:
    """A MockTransport handler that plays `answers` in order, then repeats the last one."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.mark.parametrize(
    ("status_code", "state"),
    [
        ("00", GatewayPaymentState.PAID),
        ("01", GatewayPaymentState.PENDING),
        ("02", GatewayPaymentState.FAILED),
    ],
)
async def test_duitku_status_codes_map_to_paid_pending_and_failed(
    make_gateway: GatewayFactory, status_code: str, state: GatewayPaymentState
) -> None:
    gateway = make_gateway(Script(status_answer(statusCode=status_code)))

    status = await gateway.check_status(ORDER)

    assert status == GatewayStatus(
        attempt_id=ORDER, state=state, amount=40000, gateway_reference="D0001CX80TZJ85Q70QCI"
    )


async def test_the_status_request_is_a_signed_json_post_to_transaction_status(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig
) -> None:
    script = Script(status_answer())
    gateway = make_gateway(script)

    await gateway.check_status(ORDER)

    request = script.requests[0]
    assert str(request.url) == "https://duitku.test/webapi/api/merchant/transactionStatus"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "merchantCode": "D0001",
        "merchantOrderId": ORDER,
        "signature": hmac.new(
            duitku_config.api_key.encode(), f"D0001{ORDER}".encode(), hashlib.sha256
        ).hexdigest(),
    }


@pytest.mark.parametrize(("amount", "expected"), [("100000", 100000), ("100000.00", 100000)])
async def test_the_amount_string_is_parsed_to_whole_rupiah(
    make_gateway: GatewayFactory, amount: str, expected: int
) -> None:
    gateway = make_gateway(Script(status_answer(amount=amount)))

    status = await gateway.check_status(ORDER)

    assert status.amount == expected


async def test_a_fractional_amount_is_refused_without_retrying(
    make_gateway: GatewayFactory,
) -> None:
    script = Script(status_answer(amount="100000.50"))
    gateway = make_gateway(script)

    with pytest.raises(GatewayUnavailable, match="whole rupiah"):
        await gateway.check_status(ORDER)

    assert len(script.requests) == 1


async def test_duitkus_own_400_transaction_not_found_means_not_found(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(Script(httpx.Response(400, json={"Message": "Transaction not found"})))

    status = await gateway.check_status(ORDER)

    assert status == GatewayStatus(attempt_id=ORDER, state=GatewayPaymentState.NOT_FOUND)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, text="<html><body><h1>404 Not Found</h1>nginx</body></html>"),
        httpx.Response(404, json={"Message": "Transaction not found"}),
        httpx.Response(422, json={"Message": "Transaction not found"}),
        httpx.Response(400, text="Transaction not found"),
        httpx.Response(400, json={"Message": "Order not found"}),
        httpx.Response(403, text="Forbidden: resource not found"),
        httpx.Response(400, json={"message": "Transaction not found"}),
    ],
    ids=[
        "proxy-html-404",
        "json-404",
        "json-422",
        "400-not-json",
        "400-other-message",
        "403-text",
        "lowercase-message-key",
    ],
)
async def test_any_other_not_found_answer_is_an_error_to_retry_never_an_unknown_order(
    make_gateway: GatewayFactory, answer: httpx.Response
) -> None:
    gateway = make_gateway(Script(answer))

    with pytest.raises(GatewayUnavailable) as raised:
        await gateway.check_status(ORDER)

    assert not isinstance(raised.value, GatewayRejected)


async def test_a_success_status_whose_message_says_not_found_is_an_unknown_status(
    make_gateway: GatewayFactory,
) -> None:
    script = Script(
        status_answer(statusCode="", statusMessage="Transaction not found", amount=None)
    )
    gateway = make_gateway(script)

    with pytest.raises(GatewayRejected, match="unknown status"):
        await gateway.check_status(ORDER)

    assert len(script.requests) == 1


async def test_merchant_not_found_is_a_configuration_rejection_not_an_unknown_order(
    make_gateway: GatewayFactory, sleeps: list[float]
) -> None:
    script = Script(httpx.Response(404, json={"Message": "Merchant not found"}))
    gateway = make_gateway(script)

    with pytest.raises(GatewayRejected) as raised:
        await gateway.check_status(ORDER)

    assert raised.value.detail == "Merchant not found"
    assert len(script.requests) == 1
    assert sleeps == []


async def test_a_wrong_signature_is_a_permanent_rejection_raised_without_retrying(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig, sleeps: list[float]
) -> None:
    script = Script(httpx.Response(401, json={"Message": "Wrong signature"}))
    gateway = make_gateway(script, replace(duitku_config, signature_scheme="hmac"))

    with pytest.raises(GatewayRejected) as raised:
        await gateway.check_status(ORDER)

    assert raised.value.detail == "Wrong signature"
    assert len(script.requests) == 1
    assert sleeps == []


async def test_a_transient_failure_is_retried_and_the_next_answer_wins(
    make_gateway: GatewayFactory, sleeps: list[float]
) -> None:
    script = Script(
        httpx.Response(503, json={"Message": "Service Unavailable"}),
        httpx.ReadTimeout("slow"),
        status_answer(statusCode="01"),
    )
    gateway = make_gateway(script)

    status = await gateway.check_status(ORDER)

    assert status.state is GatewayPaymentState.PENDING
    assert len(script.requests) == 3
    assert len(sleeps) == 2


async def test_after_the_configured_attempts_the_last_error_is_raised(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig, sleeps: list[float]
) -> None:
    script = Script(
        httpx.ConnectError("refused"),
        httpx.Response(500, json={"Message": "boom"}),
        httpx.ReadTimeout("slow"),
        httpx.ReadTimeout("slow"),
    )
    gateway = make_gateway(script, replace(duitku_config, status_retries=4))

    with pytest.raises(GatewayTimeout):
        await gateway.check_status(ORDER)

    assert len(script.requests) == 4
    assert len(sleeps) == 3


async def test_back_off_grows_exponentially_within_the_configured_bounds(
    make_gateway: GatewayFactory, duitku_config: DuitkuConfig, sleeps: list[float]
) -> None:
    config = replace(
        duitku_config, status_retries=5, status_retry_initial_wait=0.5, status_retry_max_wait=3.0
    )
    gateway = make_gateway(Script(httpx.ConnectError("refused")), config)

    with pytest.raises(GatewayUnavailable):
        await gateway.check_status(ORDER)

    assert len(sleeps) == 4
    assert sleeps[0] >= 0.5
    assert all(delay <= 3.0 for delay in sleeps)
    assert sleeps[2] >= 2.0


async def test_a_body_that_is_not_json_is_unavailable_and_not_retried(
    make_gateway: GatewayFactory,
) -> None:
    script = Script(httpx.Response(200, text="<html>oops</html>"))
    gateway = make_gateway(script)

    with pytest.raises(GatewayUnavailable):
        await gateway.check_status(ORDER)

    assert len(script.requests) == 1


async def test_an_unknown_status_code_is_a_permanent_rejection_and_not_retried(
    make_gateway: GatewayFactory,
) -> None:
    script = Script(status_answer(statusCode="99", statusMessage="WEIRD"))
    gateway = make_gateway(script)

    with pytest.raises(GatewayRejected, match="unknown status"):
        await gateway.check_status(ORDER)

    assert len(script.requests) == 1


async def test_an_answer_about_another_order_is_not_trusted(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(Script(status_answer(merchantOrderId="someone-else")))

    with pytest.raises(GatewayUnavailable, match="another order"):
        await gateway.check_status(ORDER)


async def test_a_numeric_amount_and_missing_reference_are_accepted(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(Script(status_answer(amount=40000, reference=None, fee=0)))

    status = await gateway.check_status(ORDER)

    assert status.amount == 40000
    assert status.gateway_reference is None
