"""A `creating` attempt is settled by a status check only after its create call can no longer
be running: the grace is derived from the create call's whole timeout, never set apart from it.
"""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.duitku.config import DuitkuConfig
from application.reconciliation_schedule import DEFAULT_CREATING_GRACE, creating_grace
from application.use_cases.run_reconciliation import RunReconciliation
from application.use_cases.start_qris_payment import StartQrisPayment
from entrypoints.container import build_container
from entrypoints.settings import load_settings

CONFIG = DuitkuConfig(
    merchant_code="D0001",
    api_key="not-a-real-key",
    callback_url="http://127.0.0.1/callback",
    return_url="http://127.0.0.1/return",
)


@given(total_timeout=st.floats(min_value=0.001, max_value=3600, allow_nan=False))
def test_the_grace_is_longer_than_any_create_call_can_take(total_timeout: float) -> None:
    config = replace(CONFIG, total_timeout=total_timeout)

    whole_call = config.create_call_timeout()

    assert whole_call >= timedelta(seconds=total_timeout)  # one send is bounded as a whole
    assert creating_grace(whole_call) > whole_call


def test_a_grace_for_a_create_call_without_timeout_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        creating_grace(timedelta(0))


def test_the_defaults_of_the_use_cases_outlast_the_duitku_adapters_default_timeout() -> None:
    start_default = StartQrisPayment.__dataclass_fields__["creating_grace"].default
    job_default = RunReconciliation.__dataclass_fields__["creating_grace"].default

    assert start_default == job_default == DEFAULT_CREATING_GRACE
    assert CONFIG.create_call_timeout() < DEFAULT_CREATING_GRACE


def test_the_service_gives_the_qris_start_and_the_job_one_grace_derived_from_the_gateway() -> None:
    container = build_container(
        load_settings(
            database_url="sqlite+aiosqlite:///:memory:",
            duitku_env="simulator",
            kasir_staff_tokens="alice:alice-token-0123456789",
        )
    )
    whole_call = container.duitku_config().create_call_timeout()

    start_grace = container.start_qris_payment().creating_grace
    job_grace = container.run_reconciliation().creating_grace

    assert start_grace == job_grace == creating_grace(whole_call)
    assert start_grace > whole_call
