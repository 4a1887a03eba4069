"""The staff dashboard and analytics as an editor sees them: Debian's headless Chromium
against `alytus serve` after `alytus init --demo`.

Checks that Chart.js drew every chart (a sized canvas with a Chart instance) and saves
screenshots at laptop and phone sizes in artifacts/screenshots/ for a human look.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, Response, expect

from .browser import BROWSER_TESTS, LAPTOP, PHONE, log_in, no_sideways_scroll, screenshot
from .live import LiveServer, demo_server_fixture

pytestmark = BROWSER_TESTS

EDITOR = "editor@alytus.test"
DRAW_TIMEOUT_MS = 15_000

ALL_CHARTS_DRAWN = """() => {
  const canvases = [...document.querySelectorAll("canvas[data-chart]")];
  return canvases.length > 0 && !!window.Chart
    && canvases.every((canvas) => window.Chart.getChart(canvas) !== undefined);
}"""


server = demo_server_fixture((EDITOR, "editor"))  # after `alytus init --demo`, its history


def charts_drawn(page: Page) -> int:
    """Wait for Chart.js to draw every chart; check each canvas has a size; count them."""
    page.wait_for_function(ALL_CHARTS_DRAWN, timeout=DRAW_TIMEOUT_MS)
    canvases = page.locator("canvas[data-chart]").all()
    for canvas in canvases:
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, box
    return len(canvases)


def broken(response: Response) -> bool:
    """A failed request of the page (the browser's own favicon guess aside)."""
    return response.status >= 400 and not response.url.endswith("/favicon.ico")


def test_an_editor_reads_the_dashboard_and_the_analytics(
    server: LiveServer, browser: Browser
) -> None:
    page, errors = log_in(browser, server.url, EDITOR, locale="en-GB")
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if broken(r) else None)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

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
    page.context.close()
