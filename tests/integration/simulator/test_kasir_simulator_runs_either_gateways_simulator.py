"""`kasir simulator --gateway duitku|midtrans` serves that gateway's simulator standalone, and
its `pay`/`fail`/`expire` actions drive the one mounted in the service."""

from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar.testing import TestClient

from entrypoints import cli


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """What `uvicorn.run` was asked to serve, instead of serving it."""
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    seen: dict[str, Any] = {}

    def run(app: Any, **options: Any) -> None:
        seen["app"], seen["options"] = app, options

    monkeypatch.setattr(uvicorn, "run", run)
    return seen


@pytest.mark.parametrize(
    ("gateway", "api_path"),
    [("duitku", "/webapi/api/merchant/transactionStatus"), ("midtrans", "/v2/KSR-1/status")],
)
def test_the_standalone_simulator_is_the_chosen_gateways(
    served: dict[str, Any], gateway: str, api_path: str
) -> None:
    code = cli.main(["simulator", "--gateway", gateway, "--port", "8201"])

    assert code == 0
    assert served["options"]["port"] == 8201
    with TestClient(app=served["app"]) as client:
        answer = client.request("POST" if gateway == "duitku" else "GET", api_path)
    # Each simulator answers its own API (here: refusing a request without credentials).
    assert answer.status_code in (400, 401), answer.text


def test_the_control_actions_reach_the_mounted_midtrans_simulator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    urls: list[str] = []

    def post(url: str, **_: Any) -> httpx.Response:
        urls.append(url)
        return httpx.Response(200, json={"state": "paid"})

    monkeypatch.setattr(httpx, "post", post)

    code = cli.main(["simulator", "--gateway", "midtrans", "pay", "KSR-1"])

    assert code == 0
    assert urls == ["http://127.0.0.1:8000/simulator/midtrans/control/transactions/KSR-1/pay"]
    assert '"paid"' in capsys.readouterr().out
