"""/metrics holds business counts: only the scraper with METRICS_TOKEN reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from entrypoints.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from tests.e2e.conftest import FakeStack

TOKEN = "scraper-token-0123456789"


class TestWithAToken:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"metrics_token": TOKEN}

    async def test_the_right_bearer_token_reads_the_metrics(self, fake_api: FakeStack) -> None:
        await fake_api.place_order()
        response = await fake_api.client.get(
            "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status_code == 200
        assert "kasir_" in response.text
        assert response.headers["Cache-Control"] == "no-store"

    @pytest.mark.parametrize(
        "authorization",
        [None, "", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer ", TOKEN, "Bearer alice-token"],
    )
    async def test_anything_else_answers_404_like_a_missing_page(
        self, fake_api: FakeStack, authorization: str | None
    ) -> None:
        headers = {} if authorization is None else {"Authorization": authorization}
        response = await fake_api.client.get("/metrics", headers=headers)
        fake_api.error(response, 404, "not_found")
        missing = await fake_api.client.get("/no-such-page")
        assert response.content == missing.content
        assert "kasir_" not in response.text


async def test_without_a_token_set_metrics_answer_404_even_to_staff(fake_api: FakeStack) -> None:
    response = await fake_api.client.get("/metrics", headers=fake_api.staff)
    fake_api.error(response, 404, "not_found")


def test_a_short_metrics_token_stops_start_up_without_showing_it() -> None:
    with pytest.raises(SettingsError, match="METRICS_TOKEN") as error:
        load_settings(metrics_token="short-secret")
    assert "short-secret" not in str(error.value)
    assert load_settings(metrics_token="").metrics_token is None
