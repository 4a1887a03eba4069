"""From a spreadsheet of former pupils to sent invitations and a funnel chart, as an editor
does it in Debian's headless Chromium against `alytus serve` (after `alytus init --demo`).

The mail server is real: aiosmtpd runs in this test process on 127.0.0.1 and the server
gets it as ALYTUS_SMTP_URL. Opening one invitation in the browser moves "opened" on (and,
as the web chat starts the bot with the token, "joined"). Screenshots at laptop and phone
sizes go to artifacts/screenshots/ for a human look.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, expect

from tests.fakes.smtp_server import SmtpSink, text_of

from .browser import BROWSER_TESTS, LAPTOP, PHONE, log_in, no_sideways_scroll, screenshot
from .live import demo_server, free_port

PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)

pytestmark = BROWSER_TESTS

EDITOR = "editor@alytus.test"
HEADER = "name,email,phone,telegram,discord,school,left_year,source,lawful_basis,notes"
SCHOOLS = ("Jotvingių gimnazija", "Putinų gimnazija", "Dzūkijos mokykla")
FIRST_NAMES = ("Jonas", "Asta", "Rūta", "Tomas", "Eglė", "Mantas", "Ieva", "Lukas")
DRAWN = """() => {
  const canvas = document.querySelector("canvas[data-chart]");
  return !!(canvas && window.Chart && window.Chart.getChart(canvas));
}"""


@dataclass
class CampaignServer:
    url: str
    sink: SmtpSink


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CampaignServer]:
    """The demo with an editor, its mail going to a real SMTP server (aiosmtpd) in this process."""
    sink = SmtpSink()
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        env = {"ALYTUS_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
        editor = (EDITOR, "editor")
        with demo_server(
            request, tmp_path_factory, editor, env=env, options=("--no-ledger",)
        ) as live:
            yield CampaignServer(url=live.url, sink=sink)
    finally:
        smtp.stop()


def pupils(folder: Path) -> tuple[Path, int]:
    """A class list: 24 former pupils of three schools, and one row without a lawful basis
    (line 6). Returns the file and how many went to Jotvingių gimnazija."""
    lines = [HEADER]
    jotvingiai = 0
    for number in range(24):
        school = SCHOOLS[number % 3]
        name = f"{FIRST_NAMES[number % 8]} Pupil{number:02d}"
        basis = "" if number == 4 else "consent"
        jotvingiai += school == SCHOOLS[0] and basis == "consent"
        lines.append(
            f"{name},pupil{number:02d}@example.lt,,,,{school},{2008 + number % 10},"
            f"{school.split()[0]} alumni,{basis},Grew up in Dainava"
        )
    path = folder / "buvę-mokiniai.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, jotvingiai


def test_an_editor_invites_former_pupils_and_watches_the_funnel(
    server: CampaignServer, browser: Browser, tmp_path: Path
) -> None:
    spreadsheet, reached = pupils(tmp_path)
    page, errors = log_in(browser, server.url, EDITOR, locale="en-GB")
    page.get_by_role("link", name="Prospects & campaigns").first.click()
    expect(page.get_by_role("heading", name="Prospects", exact=True)).to_be_visible()

    page.get_by_label("Spreadsheet").set_input_files(spreadsheet)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Import report")).to_be_visible()
    expect(page.locator('[data-report="imported"]')).to_have_text("23")
    expect(page.locator("table.rejected tbody tr")).to_have_count(1)
    expect(page.locator("table.rejected td").first).to_have_text("6")

    page.get_by_role("link", name="See the prospects").click()
    expect(page.locator("table.prospects tbody tr")).to_have_count(23)
    screenshot(page, "admin-prospects-laptop.png")
    page.set_viewport_size(PHONE)
    page.reload()
    assert no_sideways_scroll(page)
    screenshot(page, "admin-prospects-phone.png")
    page.set_viewport_size(LAPTOP)

    page.get_by_role("link", name="New campaign").first.click()
    counted: list[str] = []
    page.on(
        "request", lambda request: counted.append(request.url) if "/reach" in request.url else None
    )
    page.get_by_label("Campaign name").fill("Jotvingių alumni")
    page.get_by_label("School contains").fill("jotvingiu")
    expect(page.locator(f'#reach [data-count="{reached}"]')).to_be_visible()
    # the live count is a GET: the form's CSRF token must not ride in its query (it lands in logs)
    assert counted and not [url for url in counted if "csrf" in url], counted
    page.get_by_role("button", name="Save the campaign").click()
    send = page.get_by_role("button", name=f"Send to {reached} prospects")
    send.click()
    expect(page.locator('[data-step="invited"]')).to_have_text(str(reached), timeout=30_000)
    page.wait_for_function(DRAWN, timeout=15_000)
    assert len(server.sink.messages) == reached
    campaign_url = page.url

    token = re.search(r"/join/([A-Za-z0-9_-]+)", text_of(server.sink.messages[0][1]))
    assert token
    # a person on a phone (headless Chromium's own user agent is, rightly, not counted)
    phone = browser.new_context(viewport=PHONE, locale="en-GB", user_agent=PHONE_AGENT)
    invitee = phone.new_page()
    invitee.goto(f"{server.url}/join/{token.group(1)}")
    assert "/?ref=" in invitee.url
    expect(invitee.locator("body")).to_contain_text("Which language", timeout=30_000)
    phone.close()

    page.goto(campaign_url)
    expect(page.locator('[data-step="opened"]')).to_have_text("1")
    expect(page.locator('[data-step="joined"]')).to_have_text("1")
    page.wait_for_function(DRAWN, timeout=15_000)
    screenshot(page, "admin-campaign-laptop.png")
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_function(DRAWN, timeout=15_000)
    box = page.locator("canvas[data-chart]").bounding_box()
    assert box and box["width"] > 250 and box["height"] > 150, box
    assert no_sideways_scroll(page)
    screenshot(page, "admin-campaign-phone.png")

    assert errors == []
    page.context.close()
