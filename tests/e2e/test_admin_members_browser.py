"""The staff admin's members and feed screens in a real browser (Debian's headless Chromium)
against `alytus serve` on a fresh demo install.

A moderator finds a demo member, opens the profile and downloads the export; an editor
composes an item, ticks a country and watches the live count change (HTMX), then sends it.
Screenshots of the member list, a profile and the composer, laptop and phone sized, land in
artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .browser import BROWSER_TESTS, LAPTOP, PHONE, log_in, no_sideways_scroll, screenshot
from .live import LiveServer, demo_server_fixture

pytestmark = BROWSER_TESTS

MODERATOR, EDITOR = "moderator@alytus.test", "editor@alytus.test"
REACH = re.compile(r"Reaches (\d+) members?")
TIMEOUT_MS = 15_000

server = demo_server_fixture((MODERATOR, "moderator"), (EDITOR, "editor"))


@pytest.mark.parametrize(("size", "label"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_a_moderator_finds_a_demo_member_and_exports_their_data(
    browser: Browser, server: LiveServer, size: dict[str, int], label: str, tmp_path: Path
):
    page, errors = log_in(browser, server.url, MODERATOR, size, accept_downloads=True)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server.url}/admin/members")
    expect(page.locator("#member-count")).to_contain_text(re.compile(r"\d+ members"))
    assert 1 <= page.locator("table.members tbody tr").count() <= 25  # a page at a time
    screenshot(page, f"admin-members-{label}.png")
    assert no_sideways_scroll(page)

    page.fill("input[name=q]", "demo-oslo")  # a platform user id
    page.click("form[role=search] button[type=submit]")
    expect(page.locator("#member-count")).to_contain_text("1 member match")
    page.locator("table.members a").first.click()
    expect(page.locator("h1")).to_contain_text("Member")
    expect(page.locator("text=Oslo").first).to_be_visible()
    history = page.locator("table.consent-history tbody tr")
    expect(history).to_have_count(4)  # the demo member granted all four purposes
    expect(page.locator("table.consent-history")).to_contain_text("demo")
    screenshot(page, f"admin-member-{label}.png")
    assert no_sideways_scroll(page)

    with page.expect_download() as waiting:
        page.click("text=Export data (JSON)")
    download = waiting.value
    assert re.fullmatch(r"alytus-member-\d+\.json", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["profile"]["city"] == "Oslo" and data["profile"]["country"] == "NO"
    assert {c["purpose"] for c in data["consent_history"]} >= {"membership", "news"}
    assert errors == []


def count_after(page: Page, action: Callable[[], object]) -> int:
    """Do `action`, then wait until the live count on screen is the count for what the form
    now holds (asked of the server directly), and return it."""
    action()
    chosen = page.locator("#compose").evaluate(
        "form => new URLSearchParams(new FormData(form)).toString()"
    )
    answer = page.request.get(f"{page.url.split('/admin/')[0]}/admin/feed/reach?{chosen}")
    found = REACH.search(answer.text())
    assert answer.ok and found, answer.text()
    expect(page.locator("#reach")).to_have_text(found.group(0))
    return int(found.group(1))


@pytest.mark.parametrize(("size", "label"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_an_editor_picks_a_country_sees_the_count_change_and_sends(
    browser: Browser, server: LiveServer, size: dict[str, int], label: str
):
    page, errors = log_in(browser, server.url, EDITOR, size, accept_downloads=True)
    page.set_default_timeout(TIMEOUT_MS)
    everyone = count_after(page, lambda: page.goto(f"{server.url}/admin/feed/new"))
    assert page.locator("select[name=kind]").input_value() == "event"
    page.fill("input[name=title_lt]", "Miesto šventė")
    page.fill("input[name=title_en]", "The city celebration")
    page.fill("textarea[name=body_lt]", "Kviečiame į Alytaus miesto šventę.")
    page.fill("textarea[name=body_en]", "Come to the Alytus city celebration.")
    norway = count_after(page, lambda: page.check("input[name=countries][value=NO]"))
    and_britain = count_after(page, lambda: page.check("input[name=countries][value=GB]"))
    typed = page.locator("input[name=countries_other]")
    and_ireland = count_after(page, lambda: typed.press_sequentially("IE"))  # on a pause
    # each country holds a demo member (demo-oslo, demo-london, demo-dublin) who hears news
    assert 0 < norway < and_britain < and_ireland < everyone
    screenshot(page, f"admin-compose-{label}.png")
    assert no_sideways_scroll(page)
    planned = and_ireland

    page.click("button[name=action][value=send]")
    expect(page.locator(".notice")).to_contain_text(f"Sending to {planned} members")
    expect(page.locator("[data-status=planned]")).to_have_text(str(planned))
    page.goto(f"{server.url}/admin/feed")
    expect(page.locator("table.feed")).to_contain_text("The city celebration")
    assert errors == []
