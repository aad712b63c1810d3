"""Helpers for the payment page's browser tests (tests/e2e/browser): kasir driven over HTTP while a
real Chromium shows the page, and bounded waits on the page's state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from adapters.in_memory.clock import SettableClock
from entrypoints.container import Container

STAFF_TOKEN = "alice-token-0123456789"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
CUSTOMER = {"name": "Budi Santoso", "email": "budi@example.test", "phone": None}
PAGE_TIMEOUT = 15.0  # the bound of a page load or of a state the page reaches by polling


@dataclass
class Kasir:
    """kasir in a thread (its own event loop), reachable at `base`, driven over HTTP."""

    base: str
    container: Container
    clock: SettableClock
    http: httpx.Client

    def place_order(self) -> dict[str, Any]:
        item = self.http.post(
            "/api/v1/menu-items", json={"name": "Nasi goreng", "price": 25_000}, headers=STAFF
        )
        assert item.status_code == 201, item.text
        placed = self.http.post(
            "/api/v1/orders",
            json={
                "items": [{"menu_item_id": item.json()["id"], "quantity": 2}],
                "table_number": "7",
            },
        )
        assert placed.status_code == 201, placed.text
        order: dict[str, Any] = placed.json()
        return order

    def start_qris(self, order: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(
            "/api/v1/payments/qris",
            json={"order_id": order["id"], "amount": order["total"], "customer_details": CUSTOMER},
            headers={"X-Order-Token": order["access_token"]},
        )
        assert answer.status_code == 201, answer.text
        qris: dict[str, Any] = answer.json()
        return qris

    def simulator(self, action: str, attempt_id: str) -> None:
        answer = self.http.post(f"/simulator/duitku/control/transactions/{attempt_id}/{action}")
        assert answer.status_code == 200, answer.text

    def staff(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, headers=STAFF, **kwargs)


def wait_for_status(driver: WebDriver, status: str, *, within: float = PAGE_TIMEOUT) -> None:
    # The page may be replaced meanwhile (the new-QR button posts a form): a body found
    # just before that is stale, and the next poll finds the new one.
    WebDriverWait(
        driver, within, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    ).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-status") == status,
        message=f"the page did not turn {status}",
    )


def console_errors(driver: WebDriver) -> list[dict[str, Any]]:
    """The browser console's errors since the last call (the log is read once)."""
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [entry for entry in entries if entry["level"] == "SEVERE"]
