"""The payment page in a real browser: Debian's headless Chromium driven by Selenium through
the system chromedriver (no browser download), against kasir served by uvicorn on 127.0.0.1
in a thread of this process, in simulator mode, with a settable clock.

Skipped with the reason when Chromium or chromedriver is absent, unless KASIR_REQUIRE_BROWSER=1
(CI sets it; `.ci/run` installs `chromium` and `chromium-driver`), where that fails instead.
Every wait is bounded; every state a test reaches is saved as a screenshot in its tmp_path.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from tests.support.browser import PAGE_TIMEOUT, STAFF_TOKEN, Kasir
from tests.support.overrides import replace

from adapters.in_memory.clock import SettableClock
from adapters.sqlalchemy.migrate import upgrade_database
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
START_TIMEOUT = 20.0


def _browser_paths() -> tuple[str, str] | None:
    browser = next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="session")
def browser_paths() -> tuple[str, str]:
    paths = _browser_paths()
    if paths is None:
        reason = (
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("KASIR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"KASIR_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return paths


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """Signals stay with the test process."""


@pytest.fixture
def kasir(tmp_path: Path, browser_paths: tuple[str, str]) -> Iterator[Kasir]:
    sock = _free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    database = f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}"
    settings = load_settings(
        database_url=database,
        duitku_env="simulator",
        kasir_staff_tokens=f"alice:{STAFF_TOKEN}",
        public_base_url=base,
        restaurant_name="Warung Makan Sederhana",
        restaurant_email="kasir@warung.example",
        stream_heartbeat_seconds=0.5,
        reconcile_interval_seconds=0,
    )
    clock = SettableClock(datetime.now().astimezone())
    container = build_container(settings)
    replace(container, clock=clock)
    started: Future[_ThreadServer] = Future()

    async def serve() -> None:
        await upgrade_database(database)
        server = _ThreadServer(
            uvicorn.Config(
                create_app(container),
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=1,
            )
        )
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():  # noqa: ASYNC110 - no start-up event
            await asyncio.sleep(0.01)
        started.set_result(server)
        await task

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    server = started.result(timeout=START_TIMEOUT)
    try:
        with httpx.Client(base_url=base, timeout=PAGE_TIMEOUT) as http:
            yield Kasir(base, container, clock, http)
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()


@pytest.fixture
def browser(browser_paths: tuple[str, str]) -> Iterator[WebDriver]:
    chromium, chromedriver = browser_paths
    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=412,915",  # a phone
        "--lang=id-ID",
    ):
        options.add_argument(argument)
    # An Indonesian phone: the page's default language must be the one it shows.
    options.add_experimental_option("prefs", {"intl.accept_languages": "id-ID,id"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()
