"""Playwright helpers for tests that drive Debian's Chromium (no browser download, no network):
the marks of a browser test module, script errors, screenshots, a staff member logged in.

Playwright's own browser builds are never installed here: we launch the system `chromium`
with `executable_path`, headless, with the switches that keep it off the network.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from .live import STAFF_PASSWORD

CHROMIUM = Path(os.environ.get("ALYTUS_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def chromium_missing_reason() -> str | None:
    """Why a browser test cannot run here, or None when Chromium is installed."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


CHROMIUM_MISSING = chromium_missing_reason()

BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM_MISSING is not None, reason=CHROMIUM_MISSING or ""),
]
"""A browser test module's `pytestmark`: marked browser and slow, skipped without Chromium."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Debian Chromium, closed when the block ends."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def console_errors(page: Page) -> list[str]:
    """The script errors the page throws from now on (filled in as they happen)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as artifacts/screenshots/NAME for a human look."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=path, full_page=full_page)
    return path


def no_sideways_scroll(page: Page) -> bool:
    """Nothing but tables (which scroll in their own box) is wider than the screen."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def log_in(
    browser: Browser, url: str, email: str, viewport: dict[str, int] = LAPTOP, **options: Any
) -> tuple[Page, list[str]]:
    """A staff member logged in through the admin's login page, in a new browser context
    (OPTIONS as for `new_context`): the page, which accepts confirm() dialogs, and the list of
    the script errors it throws. Done when the top bar shows the staff member's role."""
    page = browser.new_context(viewport=viewport, **options).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm asks with confirm()
    errors = console_errors(page)
    page.goto(f"{url}/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who .role")).to_be_visible()
    return page, errors
