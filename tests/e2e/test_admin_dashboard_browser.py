"""The staff dashboard and analytics as an editor sees them: Debian's headless Chromium
against `alytus serve` after `alytus init --demo`.

Checks that Chart.js drew every chart (a sized canvas with a Chart instance) and saves
screenshots at laptop and phone sizes in artifacts/screenshots/ for a human look.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from .browser import LAPTOP, PHONE, chromium, chromium_missing_reason
from .live import LiveServer, fresh_server, serving

CHROMIUM_MISSING = chromium_missing_reason()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM_MISSING is not None, reason=CHROMIUM_MISSING or ""),
]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
EMAIL = "editor@alytus.test"
PASSWORD = "dashboards are for reading"
DRAW_TIMEOUT_MS = 15_000

ALL_CHARTS_DRAWN = """() => {
  const canvases = [...document.querySelectorAll("canvas[data-chart]")];
  return canvases.length > 0 && !!window.Chart
    && canvases.every((canvas) => window.Chart.getChart(canvas) !== undefined);
}"""


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`alytus serve` after `alytus init --demo` (with its history), and an editor."""
    live = fresh_server(request, tmp_path_factory)
    live.add_staff(EMAIL, "editor", PASSWORD)
    with serving(live):
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/admin/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def charts_drawn(page: Page) -> int:
    """Wait for Chart.js to draw every chart; check each canvas has a size; count them."""
    page.wait_for_function(ALL_CHARTS_DRAWN, timeout=DRAW_TIMEOUT_MS)
    canvases = page.locator("canvas[data-chart]").all()
    for canvas in canvases:
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, box
    return len(canvases)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=True)


def broken(response: Response) -> bool:
    """A failed request of the page (the browser's own favicon guess aside)."""
    return response.status >= 400 and not response.url.endswith("/favicon.ico")


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_editor_reads_the_dashboard_and_the_analytics(
    server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if broken(r) else None)
    log_in(page, server.url)

    assert charts_drawn(page) == 2
    members = int(page.locator('[data-stat="members"]').inner_text())
    questions = int(page.locator('[data-stat="questions"]').inner_text())
    assert members > 50 and questions > 0, (members, questions)
    screenshot(page, "admin-dashboard-laptop.png")
    page.set_viewport_size(PHONE)
    page.reload()
    assert charts_drawn(page) == 2 and no_sideways_scroll(page)
    screenshot(page, "admin-dashboard-phone.png")

    page.set_viewport_size(LAPTOP)
    page.get_by_role("link", name="Analytics", exact=True).first.click()
    expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
    assert charts_drawn(page) == 8
    assert page.locator(".empty").count() == 0
    screenshot(page, "admin-analytics-laptop.png")

    page.get_by_role("link", name="90 days").click()
    expect(page.get_by_role("link", name="90 days")).to_have_attribute("aria-current", "page")
    assert charts_drawn(page) == 8
    page.set_viewport_size(PHONE)
    page.goto(f"{server.url}/admin/analytics?days=30")
    assert charts_drawn(page) == 8 and no_sideways_scroll(page)
    screenshot(page, "admin-analytics-phone.png")

    with page.expect_download() as download:
        page.locator('a[href="/admin/analytics/funnel.csv?days=30"]').click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "step,members,% of started" and lines[1].startswith("started,")

    assert errors == []
    context.close()
