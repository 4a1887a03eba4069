"""The rewards area and the passport desk in a real browser (Debian's headless Chromium)
against `alytus serve` on a fresh demo install.

An admin records a manual award, issues the member's passport, syncs the ledger and presses
Verify; a partner's cashier checks that passport on a phone and redeems the cafe's offer.
Screenshots land in artifacts/screenshots/admin-rewards-*.png and admin-desk-*.png.
"""

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .browser import BROWSER_TESTS, LAPTOP, PHONE, log_in, screenshot
from .live import STAFF_PASSWORD, LiveServer, fresh_server, serving

pytestmark = BROWSER_TESTS

ADMIN = "rewards-admin@alytus.test"
CASHIER = "till@dzuku-kampelis.test"
CHAIN_TIMEOUT_MS = 90_000  # the first verify compiles and deploys the contract


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The demo with an admin and the demo café's cashier (partner role)."""
    live = fresh_server(request, tmp_path_factory)
    partners = json.loads(live.run("partners", "list", "--json"))
    cafe = next(p for p in partners if "Dzūkų kampelis" in p["name"])
    live.add_staff(ADMIN, "admin", STAFF_PASSWORD)
    live.add_staff(CASHIER, "partner", STAFF_PASSWORD, "--partner", str(cafe["id"]))
    with serving(live):
        yield live


def open_as(
    browser: Browser, server: LiveServer, email: str, viewport: dict[str, int]
) -> tuple[Page, list[str]]:
    """A logged-in staff page (a phone's when the viewport is PHONE), and its script errors."""
    phone = viewport == PHONE
    page, errors = log_in(
        browser,
        server.url,
        email,
        viewport,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
    )
    page.wait_for_load_state()
    expect(page.locator(".topbar .email")).to_have_text(email)
    return page, errors


def fits_the_width(page: Page) -> None:
    """Nothing but tables may scroll sideways: the page itself fits the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def test_an_admin_awards_issues_a_passport_syncs_and_verifies(
    server: LiveServer, browser: Browser
) -> None:
    page, errors = open_as(browser, server, ADMIN, LAPTOP)
    page.get_by_role("link", name="Rewards & ledger").click()
    expect(page.get_by_role("heading", name="Rewards", exact=True)).to_be_visible()

    award = page.locator("form[action='/admin/rewards/awards']")
    award.get_by_label("Member id").fill("1")
    award.get_by_label("Points").fill("200")
    award.get_by_label("Reason").fill("Volunteered at the Alytus city festival")
    award.get_by_role("button", name="Record award").click()
    expect(page.locator(".notice").first).to_contain_text(
        "Recorded +200 points for member 1: balance now 280, level 3"
    )
    screenshot(page, "admin-rewards-laptop.png")

    page.get_by_role("link", name="Passports", exact=True).click()
    page.get_by_label("Member id").fill("1")
    page.get_by_role("button", name="Issue").click()
    expect(page.locator(".notice").first).to_contain_text("issued to member 1")

    page.get_by_role("link", name="Ledger", exact=True).click()
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator(".notice").first).to_contain_text("pending", timeout=CHAIN_TIMEOUT_MS)
    page.get_by_role("button", name="Verify now").click()
    report = page.locator("#verify-report")
    expect(report).to_be_visible(timeout=CHAIN_TIMEOUT_MS)
    expect(report).to_contain_text("journal and chain agree")
    expect(report).to_contain_text("in the journal")
    expect(page.locator("#ledger-pending")).to_have_text("0")
    screenshot(page, "admin-rewards-ledger-laptop.png")
    assert errors == []

    phone, _ = open_as(browser, server, ADMIN, PHONE)
    phone.goto(f"{server.url}/admin/rewards")
    fits_the_width(phone)
    screenshot(phone, "admin-rewards-phone.png")
    phone.goto(f"{server.url}/admin/rewards/ledger")
    phone.get_by_role("button", name="Verify now").click()
    expect(phone.locator("#verify-report")).to_contain_text("agree", timeout=CHAIN_TIMEOUT_MS)
    fits_the_width(phone)
    screenshot(phone, "admin-rewards-ledger-phone.png")
    page.context.close()
    phone.context.close()


def test_a_cashier_checks_a_passport_and_redeems_an_offer(
    server: LiveServer, browser: Browser
) -> None:
    server.run("rewards", "award", "--user", "2", "--points", "300", "--reason", "e2e")
    issued = server.run("passport", "issue", "--user", "2")
    link = re.search(r"^verify: (\S+)$", issued, flags=re.M).group(1)  # type: ignore[union-attr]
    number = re.search(r"^number: (\S+)$", issued, flags=re.M).group(1)  # type: ignore[union-attr]

    page, errors = open_as(browser, server, CASHIER, PHONE)
    expect(page).to_have_url(re.compile(r"/admin/desk$"))  # a partner starts at the desk
    page.get_by_label(re.compile("Passport")).fill(link)
    page.get_by_role("button", name="Check passport").click()
    expect(page.locator("#verdict")).to_have_attribute("data-status", "valid")
    expect(page.locator("#verdict-number")).to_have_text(number)
    expect(page.locator("#verdict-level")).to_have_text("3")
    expect(page.locator("#offers")).not_to_contain_text("Pirmas mėnuo")  # the gym's offer
    fits_the_width(page)
    screenshot(page, "admin-desk-check-phone.png")

    offer = page.locator("#offers form").filter(has_text="10 % nuolaida")
    offer.get_by_role("button", name="Redeem").click()
    expect(page.locator(".notice").first).to_contain_text(f"Passport {number}: redeemed")
    expect(page.locator("table")).to_contain_text(number)
    fits_the_width(page)
    screenshot(page, "admin-desk-phone.png")
    assert errors == []

    laptop, _ = open_as(browser, server, CASHIER, LAPTOP)
    laptop.get_by_label(re.compile("Passport")).fill(number)
    laptop.get_by_role("button", name="Check passport").click()
    expect(laptop.locator("#verdict")).to_have_attribute("data-status", "valid")
    screenshot(laptop, "admin-desk-laptop.png")
    assert laptop.goto(f"{server.url}/admin/rewards").status == 403  # type: ignore[union-attr]
    page.context.close()
    laptop.context.close()
