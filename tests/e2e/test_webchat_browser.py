"""The web chat as a member sees it: real headless Chromium (Debian's) against `alytus serve`.

The server runs as a subprocess on a fresh ALYTUS_HOME and database; the page is driven by
clicking quick replies (found by their `data-payload`) and typing into the composer, and the
result is checked both on screen and with `alytus members show`. Screenshots of the finished
onboarding, laptop and phone sized, land in artifacts/screenshots/.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from .browser import BROWSER_TESTS, LAPTOP, PHONE, SCREENSHOTS
from .live import LiveServer, demo_server_fixture

pytestmark = BROWSER_TESTS

COOKIE = "alytus_chat"
REFERRAL_LINK = re.compile(r"[?&]ref=([A-Z0-9]{8})\b")
REPLY_TIMEOUT_MS = 30_000


# ---- the server -------------------------------------------------------------------------------


server = demo_server_fixture()  # `alytus serve` after `alytus init --demo`, no staff


# ---- the page, in a member's words ----------------------------------------------------------


class Chat:
    """The chat page: press a quick reply, say something, read the bubbles."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.page_errors: list[str] = []
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.fallbacks: list[str] = []

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.wait_for_reply()

    def wait_for_reply(self) -> None:
        """Sending marks the message list busy at once; the reply clears it."""
        messages = self.page.locator("#messages")
        expect(messages).to_have_attribute("aria-busy", "false", timeout=REPLY_TIMEOUT_MS)
        errors = self.page.locator(".notice").all_inner_texts()
        assert errors == [], f"the page showed an error: {errors}"
        # Quick replies hang under the newest bot message only.
        assert self.page.locator(".quick-replies").count() <= 1

    def press(self, payload: str) -> None:
        self.page.locator(f'.quick-replies [data-payload="{payload}"]').click()
        self.wait_for_reply()

    def say(self, text: str) -> None:
        self.page.locator("#input").fill(text)
        self.page.locator("#input").press("Enter")
        self.wait_for_reply()

    def offers(self, prefix: str) -> bool:
        """Whether the newest quick replies include a button whose payload starts so."""
        return self.page.locator(f'.quick-replies [data-payload^="{prefix}"]').count() > 0

    def answer(self, typed: str, *, question: str, otherwise: list[str]) -> None:
        """Type an answer; if the same question comes back, press its buttons instead."""
        self.say(typed)
        if self.offers(question):
            self.fallbacks.append(f"{typed!r} was not understood; pressed {otherwise}")
            for payload in otherwise:
                self.press(payload)

    def bot_texts(self) -> list[str]:
        return self.page.locator(".message--bot .bubble").all_inner_texts()

    def user_texts(self) -> list[str]:
        return self.page.locator(".message--user .bubble").all_inner_texts()

    def last_bot_message(self):
        return self.page.locator(".message--bot").last

    def member_cookie(self) -> str:
        cookies = {c["name"]: c for c in self.context.cookies()}
        assert COOKIE in cookies, f"no {COOKIE} cookie, got {sorted(cookies)}"
        assert cookies[COOKIE]["httpOnly"], "the session cookie must be HttpOnly"
        return cookies[COOKIE]["value"]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("document.getElementById('scroller').scrollTop = 1e9")
        path = SCREENSHOTS / name
        self.page.screenshot(path=path)
        return path


def referral_code_in_last_message(chat: Chat) -> str:
    """The code in the welcome link, which the last bubble must also show in its text."""
    last = chat.last_bot_message()
    hrefs = [a.get_attribute("href") or "" for a in last.locator("a[href*='ref=']").all()]
    codes = {m.group(1) for href in hrefs if (m := REFERRAL_LINK.search(href))}
    assert len(codes) == 1, f"expected one referral link in the last message, got {hrefs}"
    code = codes.pop()
    assert code in last.locator(".bubble").inner_text()
    return code


def join_in_english_as_a_resident(chat: Chat, url: str) -> None:
    """Open the chat in English and join as a resident interested in sport, by buttons."""
    chat.open(f"{url}/?lang=en")
    chat.press("lang:en")
    chat.press("consent:all")
    chat.press("relation:resident")
    chat.press("interest:sport")
    chat.press("interest:done")


# ---- the tests ----------------------------------------------------------------------------


def test_an_emigrant_joins_in_english_by_pressing_buttons(
    server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    chat = Chat(context)
    chat.open(f"{server.url}/?lang=en")
    expect(chat.page.locator("html")).to_have_attribute("lang", "en")

    chat.press("lang:en")
    assert chat.page.locator('[data-payload="lang:en"]').count() == 0, "old quick replies stay"
    chat.press("consent:all")
    chat.press("relation:emigrant")
    chat.say("Norway, Oslo")
    chat.press("interest:jobs")
    chat.press("interest:events")
    chat.press("interest:done")
    chat.press("return:within_year")

    code = referral_code_in_last_message(chat)
    assert "Norway, Oslo" in chat.user_texts()
    bot = chat.page.locator(".message--bot .bubble").first.bounding_box()
    mine = chat.page.locator(".message--user .bubble").first.bounding_box()
    assert bot and mine and bot["x"] < mine["x"], "bot bubbles left, the member's right"
    link = chat.last_bot_message().locator("a[href*='ref=']").first
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "")

    chat.screenshot("webchat-en-laptop.png")
    chat.page.set_viewport_size(PHONE)
    chat.screenshot("webchat-en-phone.png")

    member = server.member(chat.member_cookie())
    assert member["language"] == "en"
    assert member["relation"] == "emigrant"
    assert member["country"] == "NO"
    assert (member["city"] or "").casefold() == "oslo"
    assert set(member["interests"]) == {"jobs", "events"}
    assert member["return_intention"] == "within_year"
    assert member["consents"] and all(member["consents"].values()), member["consents"]
    assert member["referral_code"] == code
    assert chat.page_errors == []
    context.close()


def test_an_emigrant_joins_in_lithuanian_by_typing_without_diacritics(
    server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="lt-LT"
    )
    chat = Chat(context)
    chat.open(f"{server.url}/?lang=lt")
    expect(chat.page.locator("html")).to_have_attribute("lang", "lt")

    chat.answer("lietuviskai", question="lang:", otherwise=["lang:lt"])
    chat.answer("sutinku", question="consent:", otherwise=["consent:all"])
    chat.answer("gyvenu uzsienyje", question="relation:", otherwise=["relation:emigrant"])
    chat.say("Norvegijoje")
    assert chat.offers("interest:"), f"the country was not understood: {chat.bot_texts()[-1]}"
    chat.answer(
        "darbas, renginiai",
        question="interest:",
        otherwise=["interest:jobs", "interest:events", "interest:done"],
    )
    chat.answer("planuoju per metus", question="return:", otherwise=["return:within_year"])

    code = referral_code_in_last_message(chat)
    chat.screenshot("webchat-lt-phone.png")
    chat.page.set_viewport_size(LAPTOP)
    chat.screenshot("webchat-lt-laptop.png")

    member = server.member(chat.member_cookie())
    assert member["language"] == "lt"
    assert member["relation"] == "emigrant"
    assert member["country"] == "NO"
    assert {"jobs", "events"} <= set(member["interests"])
    assert member["return_intention"] == "within_year"
    assert member["consents"].get("membership") is True, member["consents"]
    assert member["referral_code"] == code
    assert chat.page_errors == []
    assert chat.fallbacks == [], "typed answers the bot did not understand"
    context.close()


def test_a_reload_keeps_the_conversation_and_does_not_start_again(
    server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    chat = Chat(context)
    chat.open(f"{server.url}/?lang=en")
    chat.press("lang:en")
    chat.press("consent:all")
    before = (chat.bot_texts(), chat.user_texts())

    requests: list[str] = []
    chat.page.on("request", lambda r: requests.append(r.url) if "/api/chat" in r.url else None)
    chat.page.reload()
    chat.wait_for_reply()

    assert (chat.bot_texts(), chat.user_texts()) == before
    assert requests == [], "the reload sent /start again"
    assert chat.offers("relation:"), "the open question's buttons are back after the reload"
    chat.press("relation:emigrant")  # the server still knows where we are
    assert not chat.offers("relation:")
    assert chat.page_errors == []
    context.close()


def test_after_erasure_a_reload_shows_an_empty_conversation_and_a_new_session(
    server: LiveServer, browser: Browser
) -> None:
    """Before: after "ištrinkite mano duomenis" → "taip", a reload showed the whole
    conversation again (the city, the invite code) under the same cookie."""
    context = browser.new_context(viewport=PHONE, locale="lt-LT")
    chat = Chat(context)
    chat.open(f"{server.url}/?lang=lt")
    chat.press("lang:lt")
    chat.press("consent:all")
    chat.press("relation:resident")
    chat.press("interest:sport")
    chat.press("interest:done")
    code = referral_code_in_last_message(chat)
    before = chat.member_cookie()
    assert server.member(before)["referral_code"] == code

    chat.say("istrinkite mano duomenis")
    chat.say("taip")
    assert chat.user_texts() == [], "the member's messages stay on screen"
    [erased] = chat.bot_texts()
    assert "ištrinti" in erased
    assert chat.page.evaluate("window.sessionStorage.length") == 0, "the transcript is kept"
    after = chat.member_cookie()
    assert after != before, "the session cookie was not replaced"

    chat.page.reload()
    chat.wait_for_reply()
    shown = chat.page.locator("#messages").inner_text()
    assert code not in shown and "istrinkite" not in shown and "ištrinti" not in shown
    assert chat.user_texts() == []
    assert "Kokia kalba" in chat.bot_texts()[0], "a new conversation starts"
    assert chat.member_cookie() == after
    assert chat.page_errors == []
    context.close()


def test_a_10000_character_message_gets_a_polite_reply(
    server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    chat = Chat(context)
    chat.open(f"{server.url}/?lang=en")
    chat.press("lang:en")
    replies_before = chat.page.locator(".message--bot").count()

    with chat.page.expect_response("**/api/chat") as response:
        chat.say("Alytus " * 1428 + "ok!!")  # 10,000 characters
    assert response.value.status == 200

    assert chat.page.locator(".message--bot").count() > replies_before
    assert chat.bot_texts()[-1].strip(), "the reply bubble is empty"
    assert chat.page.locator(".notice").count() == 0
    chat.say("yes")  # the consent question is still the open one
    assert chat.offers("relation:"), chat.bot_texts()[-1]
    assert chat.page_errors == []
    context.close()


def test_a_referral_link_starts_the_conversation_with_its_code(
    server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    chat = Chat(context)
    with chat.page.expect_request("**/api/chat") as sent:
        chat.open(f"{server.url}/?lang=en&ref=ABCD2345")
    assert sent.value.post_data_json["payload"] == "/start ABCD2345"
    assert chat.bot_texts(), "no greeting after a referral link"
    assert chat.page_errors == []
    context.close()


def test_a_member_downloads_their_data_as_a_file(server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(viewport=LAPTOP, locale="en-GB", accept_downloads=True)
    chat = Chat(context)
    chat.open(f"{server.url}/?lang=en")
    chat.press("lang:en")
    chat.press("consent:all")
    chat.press("relation:resident")
    chat.say("/privacy")
    chat.page.locator('.quick-replies [data-payload$="export"]').click()
    chat.wait_for_reply()

    with chat.page.expect_download() as download:
        chat.last_bot_message().locator("a.file").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert "resident" in json.dumps(exported)
    assert download.value.suggested_filename.endswith(".json")
    assert chat.page_errors == []
    context.close()


DOG_PARK_ARTICLE = """---
id: lt-sunu-aiksteles
title: "Šunų dresiravimo aikštelės Alytuje"
language: lt
category: leisure
source_urls:
  - https://alytus.lt/sunu-aiksteles
updated: 2026-11-20
---

# Šunų dresiravimo aikštelės Alytuje

Alytuje šunų dresiravimo aikštelė yra Vidzgirio miške prie Jotvingių gatvės. Aikštelė
nemokama ir atvira kasdien nuo 7 iki 22 valandos.
"""


def test_staff_publish_an_answer_and_the_open_chat_shows_it(
    server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    """A resident's question the bot cannot answer goes to staff; when they publish an article
    that answers it (`alytus kb import --draft`, then `alytus kb publish`), the chat that is
    still open shows the answer without the resident typing anything (the page polls)."""
    context = browser.new_context(viewport=PHONE, locale="lt-LT")
    chat = Chat(context)
    chat.open(server.url)
    chat.press("lang:lt")
    chat.say("sutinku")
    chat.press("relation:resident")
    chat.say("sportas")
    question = "ar alytuje yra sunu dresiravimo aikstele?"
    chat.say(question)
    assert "nespėlioju" in chat.bot_texts()[-1]

    article = tmp_path / "lt-sunu-aiksteles.md"
    article.write_text(DOG_PARK_ARTICLE, encoding="utf-8")
    server.run("kb", "import", "--draft", str(article))
    published = server.run("kb", "publish", "lt-sunu-aiksteles")
    assert "members told their question is answered: 1" in published

    chat.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(chat.last_bot_message()).to_contain_text(f"Neseniai klausėte: „{question}“")
    expect(chat.last_bot_message()).to_contain_text("https://alytus.lt/sunu-aiksteles")
    chat.screenshot("webchat-answer-found-phone.png")
    assert chat.page_errors == []
    context.close()


def test_the_passport_card_from_the_chat_verifies_on_a_merchants_phone(
    server: LiveServer, browser: Browser
) -> None:
    """/passport in the web chat shows the card; the QR code in that very image (decoded with
    zxing-cpp) opens the verify page, which checks the signature in the browser: valid."""
    import zxingcpp
    from PIL import Image

    context = browser.new_context(viewport=PHONE, locale="en-GB")
    chat = Chat(context)
    join_in_english_as_a_resident(chat, server.url)
    member = server.member(chat.member_cookie())
    chat.say("/passport")
    assert "more points" in chat.bot_texts()[-1]
    server.run(
        "rewards", "award", "--user", str(member["id"]), "--points", "300", "--reason", "e2e"
    )

    chat.say("/passport")
    card = chat.page.locator(".message--bot img.message__image").last
    expect(card).to_be_visible()
    src = card.get_attribute("src") or ""
    assert "/passport/card.png?t=" in src
    image = chat.page.request.get(src)
    assert image.ok and image.headers["content-type"] == "image/png"
    chat.screenshot("webchat-passport-phone.png")
    decoded = [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.body())))]
    assert len(decoded) == 1 and decoded[0].startswith(f"{server.url}/passport/verify#t=")

    merchant = browser.new_context(viewport=PHONE, locale="lt-LT").new_page()
    merchant.goto(decoded[0])
    expect(merchant.locator("#check")).to_have_attribute("data-ready", "yes", timeout=15_000)
    assert merchant.locator("#result").get_attribute("data-status") == "valid"
    context.close()
