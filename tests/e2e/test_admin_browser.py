"""The staff admin in a real browser (Debian's headless Chromium) against `alytus serve`: an
editor changes a fact in a demo article and the web chat answers with it at once; a moderator
answers a member's unanswered question by linking an article, and the member's open chat is
told. Screenshots of the knowledge-base list, the editor and the inbox, laptop and phone
sized, land in artifacts/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from .browser import BROWSER_TESTS, LAPTOP, PHONE, log_in, screenshot
from .live import LiveServer, demo_server_fixture
from .test_webchat_browser import Chat, join_in_english_as_a_resident

pytestmark = BROWSER_TESTS

EDITOR = "editor@alytus.test"
MODERATOR = "moderator@alytus.test"
FEE_QUESTION = "What's the daily kindergarten charge for a 3-year-old?"
FISHING_QUESTION = "Where do I get a fishing permit for Lake Daugai?"
STEP_TIMEOUT_MS = 30_000

server = demo_server_fixture((EDITOR, "editor"), (MODERATOR, "moderator"))


def screenshots(page: Page, name: str, *, full_page: bool = False) -> list[Path]:
    """The page at laptop and at phone size (then back to laptop)."""
    paths = []
    for size, label in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        paths.append(screenshot(page, f"{name}-{label}.png", full_page=full_page))
    page.set_viewport_size(LAPTOP)
    return paths


def test_an_editor_changes_a_fee_and_the_web_chat_answers_with_it(
    server: LiveServer, browser: Browser
) -> None:
    page, errors = log_in(browser, server.url, EDITOR, locale="en-GB")

    page.goto(f"{server.url}/admin/kb")
    page.get_by_label("Search title and text").fill("kindergarten")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.kb-list")).to_contain_text("Kindergartens in Alytus")
    screenshots(page, "admin-kb")

    page.get_by_role("link", name="Kindergartens in Alytus").first.click()
    body = page.locator("#body")
    text = body.input_value()
    assert "3.40 EUR per day" in text
    body.fill(text.replace("3.40", "3.95"))
    expect(page.locator("#preview")).to_contain_text("3.95 EUR per day", timeout=STEP_TIMEOUT_MS)
    expect(page.locator("#preview strong").first).to_be_visible()  # Markdown, not raw text
    screenshots(page, "admin-editor", full_page=True)

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".notice")).to_contain_text("members see the new text now")
    page.get_by_role("link", name="Revisions (2)").click()
    # the fee line changed, and the date members read with it (made today by the edit)
    expect(page.locator(".diff .add", has_text="3.95").first).to_be_visible()
    expect(page.locator(".diff .del", has_text="3.40").first).to_be_visible()
    expect(page.locator(".diff .add", has_text="Updated:")).to_have_count(1)

    chat = Chat(page.context)  # the web chat in the same browser
    join_in_english_as_a_resident(chat, server.url)
    chat.say(FEE_QUESTION)
    expect(chat.last_bot_message()).to_contain_text("3.95 EUR")
    assert "3.40" not in chat.bot_texts()[-1]
    assert errors == [] and chat.page_errors == []
    page.context.close()


def test_a_moderator_links_an_article_and_the_member_who_asked_is_told(
    server: LiveServer, browser: Browser
) -> None:
    member = browser.new_context(viewport=PHONE, locale="en-GB")
    chat = Chat(member)
    join_in_english_as_a_resident(chat, server.url)
    chat.say(FISHING_QUESTION)
    assert "I will not guess" in chat.bot_texts()[-1], chat.bot_texts()[-1]

    page, errors = log_in(browser, server.url, MODERATOR, locale="en-GB")
    page.goto(f"{server.url}/admin/inbox")
    group = page.locator(".inbox-group", has_text=FISHING_QUESTION)
    expect(group).to_have_count(1)
    assert group.get_by_role("link", name="Write an article").count() == 0
    group.get_by_label("Find the article that answers them").fill("tourist information")
    expect(group.locator("legend")).to_contain_text("Articles matching", timeout=STEP_TIMEOUT_MS)
    choice = group.locator('input[name="article_id"][value="en-tourism-info"]')
    expect(choice).to_be_visible(timeout=STEP_TIMEOUT_MS)
    choice.check()
    screenshots(page, "admin-inbox", full_page=True)
    group.get_by_role("button", name="Answer with this article").click()
    expect(page.locator(".notice")).to_contain_text("1 member will be told")
    expect(page.locator(".inbox-group", has_text=FISHING_QUESTION)).to_have_count(0)

    chat.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    told = chat.last_bot_message()
    expect(told).to_contain_text(f"You recently asked: “{FISHING_QUESTION}”")
    expect(told).to_contain_text("Visiting Alytus: tourist information centre")
    assert errors == [] and chat.page_errors == []
    member.close()
    page.context.close()
