"""The chat widget on the city's own site, in real headless Chromium (Debian's).

`alytus serve` runs at http://127.0.0.1:<p1> with ALYTUS_WIDGET_ORIGINS naming the host page's
origin, http://localhost:<p2>: another site, so the app's cookie would be a third-party one.
The host page has one <script src=".../static/widget.js"> tag and a strict CSP that allows
only the app's origin. The member joins by pressing buttons, reloads the host page, and goes
on as the same member: the session lives in the host page's localStorage and a header, not in
a cookie. A page on an origin that is not allowed cannot read the chat API (no CORS).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, expect

from .browser import BROWSER_TESTS, LAPTOP, PHONE, SCREENSHOTS
from .live import LiveServer, demo_server, free_port

pytestmark = BROWSER_TESTS

REPLY_TIMEOUT_MS = 30_000
WIDGET = "#alytus-chat-widget"

HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Alytaus miesto savivaldybė</title>
  <link rel="icon" href="data:,">
  <script src="{app}/static/widget.js" defer></script>
</head>
<body>
  <h1>Alytaus miesto savivaldybė</h1>
  <p>News, services and events of the city. Questions? Ask our assistant in the corner.</p>
</body>
</html>
"""


# ---- the two sites ----------------------------------------------------------------------------


class Site:
    """A tiny static site on 127.0.0.1 serving one page at /, with the headers given."""

    def __init__(self, page: str, headers: dict[str, str]) -> None:
        body = page.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.split("?")[0] != "/":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://localhost:{self.port}"  # another site than 127.0.0.1
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def app_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def city_site(app_port: int) -> Iterator[Site]:
    """The city's site: its own strict CSP, which allows the app's origin and nothing else."""
    app = f"http://127.0.0.1:{app_port}"
    csp = (
        f"default-src 'none'; script-src 'self' {app}; style-src 'self' {app}; "
        f"connect-src {app}; img-src 'self' {app} data: https:; base-uri 'none'"
    )
    site = Site(HOST_PAGE.format(app=app), {"Content-Security-Policy": csp})
    yield site
    site.stop()


@pytest.fixture(scope="module")
def stranger_site(app_port: int) -> Iterator[Site]:
    """A site that is not in ALYTUS_WIDGET_ORIGINS (and has no CSP of its own)."""
    site = Site("<!doctype html><title>elsewhere</title><p>elsewhere</p>", {})
    yield site
    site.stop()


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    app_port: int,
    city_site: Site,
) -> Iterator[LiveServer]:
    """`alytus serve` after `alytus init --demo`, with the city's site as a widget origin."""
    env = {"ALYTUS_WIDGET_ORIGINS": f'["{city_site.url}"]'}
    with demo_server(request, tmp_path_factory, env=env, port=app_port) as live:
        yield live


# ---- the widget, in a member's words ----------------------------------------------------------


class Widget:
    """The widget on a host page: open it, press quick replies, read the bubbles."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on(
            "console",
            lambda message: self.problems.append(message.text) if message.type == "error" else None,
        )

    def open(self) -> None:
        """Click the floating button (Playwright's CSS reaches into the open shadow root)."""
        expect(self.page.locator(WIDGET)).to_have_attribute("data-ready", "yes")
        self.page.locator(f"{WIDGET} .launcher").click()
        expect(self.page.locator(f"{WIDGET} .panel")).to_be_visible()
        self.wait_for_reply()

    def wait_for_reply(self) -> None:
        messages = self.page.locator(f"{WIDGET} .messages")
        expect(messages).to_have_attribute("aria-busy", "false", timeout=REPLY_TIMEOUT_MS)
        notices = self.page.locator(f"{WIDGET} .notice").all_inner_texts()
        assert notices == [], f"the widget showed an error: {notices}"

    def press(self, payload: str) -> None:
        self.page.locator(f'{WIDGET} .quick-replies [data-payload="{payload}"]').click()
        self.wait_for_reply()

    def say(self, text: str) -> None:
        self.page.locator(f"{WIDGET} .composer__input").fill(text)
        self.page.locator(f"{WIDGET} .composer__input").press("Enter")
        self.wait_for_reply()

    def offers(self, prefix: str) -> bool:
        return self.page.locator(f'{WIDGET} .quick-replies [data-payload^="{prefix}"]').count() > 0

    def user_texts(self) -> list[str]:
        return self.page.locator(f"{WIDGET} .message--user .bubble").all_inner_texts()

    def stored_transcript(self) -> object:
        return self.page.evaluate(
            """() => {
                const key = Object.keys(localStorage).find((k) => k.endsWith(":transcript"));
                return key ? JSON.parse(localStorage.getItem(key)) : null;
            }"""
        )

    def bot_texts(self) -> list[str]:
        return self.page.locator(f"{WIDGET} .message--bot .bubble").all_inner_texts()

    def session(self) -> str:
        """The token the widget keeps in the host page's localStorage."""
        token = self.page.evaluate(
            """() => {
                const key = Object.keys(localStorage).find((k) => k.endsWith(":session"));
                return key ? JSON.parse(localStorage.getItem(key)) : null;
            }"""
        )
        assert token, "the widget kept no session token"
        return token

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / name)


# ---- the tests --------------------------------------------------------------------------------


def test_a_resident_joins_in_the_widget_and_a_reload_keeps_the_member(
    server: LiveServer, browser: Browser, city_site: Site
) -> None:
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    widget = Widget(context.new_page())
    widget.page.goto(city_site.url)
    widget.open()
    assert "Which language" in widget.bot_texts()[0]
    widget.press("lang:en")
    widget.press("consent:all")
    widget.press("relation:resident")
    assert widget.offers("interest:"), widget.bot_texts()[-1]
    token = widget.session()

    widget.page.reload()
    widget.open()
    assert "Which language" in widget.bot_texts()[0], "the conversation is shown again"
    assert widget.offers("interest:"), "the open question's buttons are back"
    widget.press("interest:sport")
    widget.press("interest:done")
    assert widget.session() == token
    widget.screenshot("widget-laptop.png")
    widget.page.set_viewport_size(PHONE)
    widget.screenshot("widget-phone.png")

    member = server.member(token)
    assert member["language"] == "en"
    assert member["relation"] == "resident"
    assert "sport" in member["interests"]
    cookies = [cookie["name"] for cookie in context.cookies()]
    assert "alytus_chat" not in cookies, "the widget must not depend on a third-party cookie"
    assert widget.problems == [], widget.problems
    context.close()


def test_after_erasure_the_widget_forgets_the_conversation_and_its_session(
    server: LiveServer, browser: Browser, city_site: Site
) -> None:
    """The widget keeps its token and the conversation in the city site's localStorage: after
    "erase my data" both are replaced, and a reload starts a new, empty conversation."""
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    widget = Widget(context.new_page())
    widget.page.goto(city_site.url)
    widget.open()
    for payload in ("lang:en", "consent:all", "relation:resident", "interest:sport"):
        widget.press(payload)
    widget.press("interest:done")
    token = widget.session()
    assert server.member(token)["relation"] == "resident"
    assert widget.stored_transcript()

    widget.say("please erase my data")
    widget.press("privacy:erase:yes")
    assert widget.user_texts() == [], "the member's messages stay on screen"
    [erased] = widget.bot_texts()
    assert "erased" in erased
    assert widget.stored_transcript() is None, "the conversation is still in the site's storage"
    fresh = widget.session()
    assert fresh != token, "the session token was not replaced"

    widget.page.reload()
    widget.open()
    assert widget.user_texts() == []
    texts = widget.bot_texts()
    assert "Which language" in texts[0] and not any("erased" in text for text in texts)
    assert widget.session() == fresh
    assert widget.problems == [], widget.problems
    context.close()


def test_the_widget_fits_a_phone_and_closes(
    server: LiveServer, browser: Browser, city_site: Site
) -> None:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="lt-LT"
    )
    widget = Widget(context.new_page())
    widget.page.goto(city_site.url)
    widget.open()
    box = widget.page.locator(f"{WIDGET} .panel").bounding_box()
    assert box and box["width"] == PHONE["width"], box
    widget.press("lang:lt")
    widget.screenshot("widget-phone-lt.png")
    widget.page.locator(f"{WIDGET} .panel__close").click()
    expect(widget.page.locator(f"{WIDGET} .panel")).to_be_hidden()
    expect(widget.page.locator(f"{WIDGET} .launcher")).to_be_visible()
    assert widget.problems == [], widget.problems
    context.close()


def test_a_site_that_is_not_allowed_cannot_read_the_chat_api(
    server: LiveServer, browser: Browser, stranger_site: Site
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(stranger_site.url)
    outcome = page.evaluate(
        """async (app) => {
            const attempts = {
                post: () => fetch(`${app}/api/chat`, {
                    method: "POST",
                    headers: {"Content-Type": "application/json", "X-Alytus-Chat-Session": "new"},
                    body: JSON.stringify({payload: "/start"}),
                }),
                words: () => fetch(`${app}/api/chat/widget?lang=en`),
            };
            const results = {};
            for (const [name, attempt] of Object.entries(attempts)) {
                try {
                    await attempt();
                    results[name] = "read";
                } catch (error) {
                    results[name] = `refused: ${error.name}`;
                }
            }
            return results;
        }""",
        server.url,
    )
    assert outcome == {"post": "refused: TypeError", "words": "refused: TypeError"}, outcome
    context.close()
