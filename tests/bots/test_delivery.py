"""Notifications written by other rooms reach the member once, in their language."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from admin.web import create_app
from bots.engine import Engine
from bots.testing import BotTester
from community.database import Database
from community.members import find_member
from community.notifications import enqueue
from community.settings import Settings

ANSWER = {"question": "kada isveza siuksles?", "title": "Atliekų tvarkymas", "url": "https://x.lt"}


def tell(db: Database, platform: str, user_id: str, key: str = "q-1") -> bool:
    with db.session() as session:
        member = find_member(session=session, platform=platform, user_id=user_id)
        return (
            enqueue(
                session=session,
                member_id=member.id,
                platform=platform,
                message_key="kb.answer_found",
                params=ANSWER,
                dedupe_key=key,
            )
            is not None
        )


@pytest.fixture
def joined(bot: BotTester) -> BotTester:
    for step in ("/start", "lt", "sutinku", "gyvenu alytuje", "sportas"):
        bot.say(step)
    return bot


def test_a_pending_answer_comes_with_the_next_reply_once(joined: BotTester, db: Database):
    assert tell(db, "terminal", "emigrant-1")
    assert not tell(db, "terminal", "emigrant-1"), "the same dedupe key is enqueued once"
    joined.say("/help")
    assert "Neseniai klausėte: „kada isveza siuksles?“" in joined.text()
    joined.say("/help")
    assert "Neseniai klausėte" not in joined.text()


def test_the_web_chat_poll_delivers_it_once(settings: Settings, engine: Engine, db: Database):
    client = TestClient(create_app(settings, engine=engine), base_url="https://testserver")
    assert client.get("/api/chat/updates").json()["replies"] == []
    client.post("/api/chat", json={"payload": "/start"})
    client.post("/api/chat", json={"payload": "lang:en"})
    tell(db, "web", client.cookies.get("alytus_chat"))
    first = client.get("/api/chat/updates").json()["replies"]
    assert len(first) == 1 and first[0]["text"].startswith("You recently asked")
    assert client.get("/api/chat/updates").json()["replies"] == []


def test_erasure_removes_pending_notifications(joined: BotTester, db: Database):
    from sqlmodel import select

    from community.models import Notification

    tell(db, "terminal", "emigrant-1")
    with db.session() as session:
        member_id = find_member(session=session, platform="terminal", user_id="emigrant-1").id
    joined.say("/privacy")
    joined.press("privacy:erase")
    joined.press("privacy:erase:yes")
    assert "erased" in joined.text() or "ištrinti" in joined.text()
    with db.session() as session:
        left = session.exec(select(Notification).where(Notification.member_id == member_id))
        assert list(left) == []
