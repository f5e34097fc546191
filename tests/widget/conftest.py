"""Headless Chromium (Debian's, through Playwright) for the widget tests.

Playwright never downloads a browser here: it drives CHROMIUM_PATH (default /usr/bin/chromium).
Without Chromium the tests skip with the reason; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest

from tests.conftest import IN_CI, require_service

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or ""
    if not path and os.access("/usr/bin/chromium", os.X_OK):
        path = "/usr/bin/chromium"
    if not path:
        path = require_service("Chromium", "CHROMIUM_PATH")
    if not os.access(path, os.X_OK):
        message = f"Chromium not found at {path}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the lock file installs it
        if IN_CI:
            pytest.fail("playwright (python) is not installed")
        pytest.skip("playwright (python) is not installed")
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)  # a reply from the real assistant on a busy CI machine
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageWatch:
    """What a page did that a test should fail on: dialogs, script errors, console errors."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


def open_page(browser: Any, watch: PageWatch, **context_options: Any) -> tuple[Any, Any]:
    options = {"viewport": {"width": 1280, "height": 800}, "service_workers": "block", **context_options}
    context = browser.new_context(**options)
    context.set_default_timeout(30_000)
    page = context.new_page()

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: watch.errors.append(f"pageerror: {error}"))

    def on_console(message: Any) -> None:
        # Chromium asks every page for /favicon.ico; the demo page has none.
        if message.type == "error" and "favicon.ico" not in (message.location or {}).get("url", ""):
            watch.errors.append(f"console: {message.text} at {(message.location or {}).get('url')}")

    page.on("console", on_console)
    return context, page


@pytest.fixture
def page(browser: Any, watch: PageWatch) -> Iterator[Any]:
    context, page = open_page(browser, watch)
    yield page
    context.close()
