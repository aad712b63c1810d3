"""The container builds the use cases, the reconciler and the gateways by name once per
process: a request reuses them. A test that replaces a provider (tests/support/overrides.py)
is still heard by the next request."""

from typing import Any

from tests.support.overrides import replace

from adapters.in_memory.gateway import FakePaymentGateway
from application.gateways import DUITKU
from entrypoints.container import Container, build_container
from entrypoints.settings import load_settings

# Every provider a request reaches for its use case (entrypoints/http/dependencies.py).
PER_REQUEST = (
    "payment_gateways",
    "reconciler",
    "handle_payment_notification",
    "start_qris_payment",
    "get_order",
    "pay_cash",
    "idempotent_requests",
    "scheduled_checks",
)


def fake_container() -> Container:
    return build_container(load_settings(_env_file=None, duitku_env="fake"))


def test_two_requests_get_the_same_use_cases_and_gateways() -> None:
    container = fake_container()

    for name in PER_REQUEST:
        provider: Any = getattr(container, name)
        assert provider() is provider(), name


def test_a_replaced_gateway_is_heard_by_use_cases_built_before_it() -> None:
    container = fake_container()
    container.handle_payment_notification()  # built, as the first request would
    replacement = FakePaymentGateway()

    replace(container, gateway=replacement)

    assert container.payment_gateways().named(DUITKU) is replacement
    assert container.handle_payment_notification().gateways.named(DUITKU) is replacement
