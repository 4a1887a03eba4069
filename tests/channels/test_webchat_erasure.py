"""After "erase my data" in the web chat, the page and the widget forget: the erasure reply
is marked `forget` on the wire and the session token is replaced (a new cookie for the page,
a new `session` for the widget), so the old token names nobody and a reload starts anew.

Before: the same cookie stayed, and the page kept the whole conversation in its storage."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from admin.web import create_app
from bots.engine import Engine
from community.database import Database
from community.members import find_member
from community.settings import Settings

JOIN = ("/start", "lang:en", "consent:all", "relation:resident", "interest:sport", "interest:done")
ERASE = ("/privacy", "privacy:erase", "privacy:erase:yes")


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(settings, engine=engine)


def test_the_page_gets_a_new_cookie_and_is_told_to_forget(app, db: Database):  # type: ignore[no-untyped-def]
    browser = TestClient(app, base_url="https://testserver")
    for payload in JOIN + ERASE[:2]:
        answer = browser.post("/api/chat", json={"payload": payload}).json()
        assert not any(reply["forget"] for reply in answer["replies"])
    old = browser.cookies.get("alytus_chat")
    erased = browser.post("/api/chat", json={"payload": ERASE[2]})
    [reply] = erased.json()["replies"]
    assert reply["forget"] is True and "erased" in reply["text"]
    new = erased.cookies.get("alytus_chat")
    assert new and new != old
    with db.session() as session:
        assert find_member(session=session, platform="web", user_id=old) is None
    browser.cookies.set("alytus_chat", new)
    again = browser.post("/api/chat", json={"payload": "/start", "locale": "en-GB"}).json()
    assert "Which language" in again["replies"][0]["text"], "a new visitor is greeted anew"


def test_the_widget_gets_a_new_session_token(app, db: Database):  # type: ignore[no-untyped-def]
    site = TestClient(app, base_url="https://testserver")
    token = "new"
    for payload in JOIN + ERASE[:2]:
        answer = site.post(
            "/api/chat", json={"payload": payload}, headers={"X-Alytus-Chat-Session": token}
        ).json()
        token = answer["session"]
    erased = site.post(
        "/api/chat", json={"payload": ERASE[2]}, headers={"X-Alytus-Chat-Session": token}
    ).json()
    assert erased["replies"][0]["forget"] is True
    assert erased["session"] and erased["session"] != token
    assert "alytus_chat" not in site.cookies, "the widget sets no cookie"
    with db.session() as session:
        assert find_member(session=session, platform="web", user_id=token) is None
        assert find_member(session=session, platform="web", user_id=erased["session"]) is None
