"""The merchant's check, as a merchant's phone does it: headless Chromium (Debian's) opens the
URL in the passport card's QR code against `alytus serve`, and the page verifies the Ed25519
signature itself. Staff revoke the passport with `alytus passport revoke`; a reload says so.
Then the phone loses its network: the page comes back from the service worker and still
checks passports. Screenshots (390 px wide) land in artifacts/screenshots/passport-*.png.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .browser import BROWSER_TESTS, PHONE, SCREENSHOTS
from .live import LiveServer, demo_server_fixture

pytestmark = BROWSER_TESTS

CHECK_TIMEOUT_MS = 15_000


server = demo_server_fixture()  # `alytus serve` after `alytus init --demo`, no staff


# ---- staff side: a passport for a demo member -------------------------------------------------


@dataclass
class Issued:
    number: str
    token: str
    url: str  # what the card's QR code says


def issue_for(server: LiveServer, member_id: int, card: Path) -> Issued:
    """Points to the passport level, then `alytus passport issue --png`; the URL is read back
    from the card's QR code (zxing-cpp), or from the command's output when it is missing."""
    server.run("rewards", "award", "--user", str(member_id), "--points", "1000", "--reason", "e2e")
    out = server.run("passport", "issue", "--user", str(member_id), "--png", str(card))
    fields = dict(re.findall(r"^(\w[\w ]*): (.+)$", out, flags=re.M))
    url = fields["verify"]
    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        pass  # no QR decoder here: the URL printed beside the card is the same text
    else:
        decoded = [code.text for code in zxingcpp.read_barcodes(Image.open(card))]
        assert decoded == [url], "the card's QR code must hold the verify URL"
    assert url.startswith(f"{server.url}/passport/verify#t=")
    return Issued(number=fields["number"], token=fields["token"], url=url)


# ---- the merchant's phone -----------------------------------------------------------------------


class Checker:
    """The verify page on a phone: open a URL, read the verdict, take a screenshot."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def open(self, url: str) -> None:
        """A fresh load, as when the phone's camera app opens the QR code's link."""
        self.page.goto("about:blank")
        self.page.goto(url)
        self.settled()

    def reload(self) -> None:
        self.page.reload()
        self.settled()

    def settled(self) -> None:
        expect(self.page.locator("#check")).to_have_attribute(
            "data-ready", "yes", timeout=CHECK_TIMEOUT_MS
        )

    def status(self) -> str:
        return self.page.locator("#result").get_attribute("data-status") or ""

    def reason(self) -> str:
        return self.page.locator("#reason-en").inner_text()

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / name, full_page=True)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Checker]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="lt-LT"
    )
    yield Checker(context)
    context.close()


def test_the_card_qr_verifies_then_revoked_then_offline(
    server: LiveServer, phone: Checker, tmp_path: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    first = issue_for(server, 1, SCREENSHOTS / "passport-card.png")

    phone.open(first.url)
    assert phone.status() == "valid", phone.reason()
    expect(phone.page.locator("#status-lt")).to_have_text("GALIOJA")
    expect(phone.page.locator("#status-en")).to_have_text("VALID")
    expect(phone.page.locator("#fact-number")).to_have_text(first.number)
    box = phone.page.locator("#status-lt").bounding_box()
    assert box and box["height"] >= 30, "the verdict must be big enough to read at a till"
    expect(phone.page.locator("#check")).to_have_attribute(
        "data-offline-ready", "yes", timeout=CHECK_TIMEOUT_MS
    )
    phone.screenshot("passport-valid-phone.png")

    server.run("passport", "revoke", first.number, "--reason", "lost phone")
    phone.reload()
    assert phone.status() == "revoked", phone.reason()
    expect(phone.page.locator("#status-lt")).to_have_text("ATŠAUKTAS")
    phone.screenshot("passport-revoked-phone.png")

    second = issue_for(server, 2, tmp_path / "second.png")
    phone.context.set_offline(True)
    try:
        phone.reload()  # the revoked one, from the service worker and the cached list
        assert phone.status() == "revoked", phone.reason()

        phone.open(second.url)  # never seen online: checked with the key in the cached page
        assert phone.status() == "valid", phone.reason()
        expect(phone.page.locator("#list-state-en")).to_contain_text("offline")
        phone.screenshot("passport-offline-valid-phone.png")

        encoded, signature = second.token.split(".")
        forged = f"{server.url}/passport/verify#t={encoded}.{signature[:-4]}AAAA"
        phone.open(forged)
        assert phone.status() == "invalid"
        assert "signature" in phone.reason()
        phone.screenshot("passport-invalid-phone.png")
    finally:
        phone.context.set_offline(False)
    unexpected = [e for e in phone.errors if "net::ERR_INTERNET_DISCONNECTED" not in e]
    assert unexpected == []


def test_a_typed_code_is_checked_and_an_expired_one_says_so(
    server: LiveServer, phone: Checker
) -> None:
    """A code typed into the field (a phone without a camera), and the CLI's verdicts."""
    issued = issue_for(server, 3, server.home / "third.png")
    phone.open(f"{server.url}/passport/verify")
    assert phone.status() == "none"
    phone.page.locator("#code").fill(issued.url)  # a whole link pasted works too
    phone.page.locator("#check-button").click()
    expect(phone.page.locator("#result")).to_have_attribute("data-status", "valid")
    assert phone.page.evaluate("location.hash") == f"#t={issued.token}"

    # The phone's clock is what counts for expiry: move it past the date on the passport.
    phone.page.clock.set_fixed_time(time.time() + 2 * 365 * 24 * 3600)
    phone.reload()
    assert phone.status() == "expired", phone.reason()
    phone.screenshot("passport-expired-phone.png")

    verified = subprocess.run(
        [server.cli, "passport", "verify", issued.token],
        env=server.env,
        cwd=server.home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0 and verified.stdout.startswith("valid:")
    forged = subprocess.run(
        [server.cli, "passport", "verify", issued.token[:-4] + "AAAA"],
        env=server.env,
        cwd=server.home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert forged.returncode == 1 and "invalid" in forged.stdout and "signature" in forged.stdout
