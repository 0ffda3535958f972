"""Debian's headless Chromium through its chromedriver (selenium; no browser download), cut off
from every host but 127.0.0.1: what the browser tests (``-m browser``) drive."""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _closed_port() -> int:
    """A loopback port where nothing listens: the proxy every other host goes through."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextlib.contextmanager
def chromium(window: str = "1400,900") -> Iterator[Any]:
    """A headless Chromium whose names resolve to nothing and whose every other address goes to a
    proxy where nothing listens; skips the test without Debian's chromium and chromium-driver."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        f"--window-size={window}",
        f"--proxy-server=http://127.0.0.1:{_closed_port()}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser() -> Iterator[Any]:
    """One headless Chromium for the test (import it: ``from tests.browsers import browser``)."""
    with chromium() as driver:
        yield driver


def same_origin_page(r: Any) -> str:
    """An HTML page served whole from this origin (the family app's, GraphiQL's): its Content
    Security Policy, which lets nothing load or connect elsewhere, returned for the page's own checks."""
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    return str(policy)
