"""The web chat's limits, as a visitor and a flood meet them: a member row only for someone
who starts joining or leaves something to keep, and a polite 429 past the rate limits.

Before: every request without a cookie made a member and a channel row (100 requests, 100
members), and nothing limited how fast one session or address could send."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from admin.web import create_app
from bots.engine import Engine
from community.database import Database
from community.models import ChannelIdentity, Member
from community.settings import Settings
from knowledge.answers import Answer, Source
from knowledge.models import UnansweredQuestion


def counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        members = session.exec(select(func.count()).select_from(Member)).one()
        identities = session.exec(select(func.count()).select_from(ChannelIdentity)).one()
    return members, identities


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(settings, engine=engine)


def visitor(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url="https://testserver")


def test_visitors_who_only_open_the_page_or_greet_leave_no_member(app, db: Database):  # type: ignore[no-untyped-def]
    before = counts(db)
    for text in ("/start", "labas", "hello", "ačiū", "/help", "/privacy", "/language"):
        for _ in range(6):  # a fresh client each time: no cookie
            answer = visitor(app).post("/api/chat", json={"text": text})
            assert answer.status_code == 200 and answer.json()["replies"]
    assert counts(db) == before


def test_a_visitor_becomes_a_member_when_they_start_joining(app, db: Database):  # type: ignore[no-untyped-def]
    before = counts(db)
    browser = visitor(app)
    opened = browser.post("/api/chat", json={"payload": "/start"})
    assert "Kokia kalba" in opened.json()["replies"][0]["text"] or opened.json()["replies"]
    assert counts(db) == before
    chose = browser.post("/api/chat", json={"payload": "lang:lt"})
    assert "Ar sutinkate" in chose.json()["replies"][0]["text"]
    assert counts(db) == (before[0] + 1, before[1] + 1)
    browser.post("/api/chat", json={"payload": "consent:all"})  # the state was kept
    assert counts(db) == (before[0] + 1, before[1] + 1)


def test_a_typed_language_answers_the_opening_question(app, db: Database):  # type: ignore[no-untyped-def]
    browser = visitor(app)
    browser.post("/api/chat", json={"payload": "/start"})
    chose = browser.post("/api/chat", json={"text": "lietuviskai"})
    assert "Ar sutinkate" in chose.json()["replies"][0]["text"]


class AlwaysAService:
    """An intent model that reads every text as a service question (the real one is slow to
    train; what is tested here is what the engine keeps)."""

    def parse(self, text: str, language_hint: str | None = None) -> dict:
        return {"intent": {"name": "service_question", "confidence": 0.99}, "entities": []}


def no_article(*, session, settings, question, language):  # type: ignore[no-untyped-def]
    return Answer(answered=False, text="", sources=[], confidence=0.1, language=language)


def an_article(*, session, settings, question, language):  # type: ignore[no-untyped-def]
    source = Source(id="lt-darzeliai", title="Darželiai", url="https://alytus.lt/d", updated=None)
    return Answer(answered=True, text="Prašymą teikite...", sources=[source], confidence=0.9,
                  language=language)  # fmt: skip


@pytest.mark.parametrize(("answer", "kept"), [(an_article, False), (no_article, True)])
def test_a_visitors_question_is_kept_only_when_it_waits_for_staff(
    settings: Settings,
    db: Database,
    answer,
    kept: bool,  # type: ignore[no-untyped-def]
):
    engine = Engine(db=db, settings=settings, parser=AlwaysAService(), answer=answer)
    browser = visitor(create_app(settings, engine=engine))
    before = counts(db)
    reply = browser.post("/api/chat", json={"text": "kaip gauti vieta darzelyje"})
    assert reply.status_code == 200 and reply.json()["replies"]
    with db.session() as session:
        filed = session.exec(select(func.count()).select_from(UnansweredQuestion)).one()
    assert filed == int(kept)
    assert counts(db) == ((before[0] + 1, before[1] + 1) if kept else before)


def test_past_the_sessions_limit_a_polite_429_in_the_members_language(
    settings: Settings, engine: Engine, db: Database
):
    limited = settings.model_copy(update={"chat_rate_per_minute": 2})
    browser = visitor(create_app(limited, engine=Engine(db=db, settings=limited)))
    for payload in ("/start", "lang:lt", "consent:all"):  # the first has no session yet
        assert browser.post("/api/chat", json={"payload": payload}).status_code == 200
    refused = browser.post("/api/chat", json={"text": "gyvenu Alytuje", "locale": "lt-LT"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Rašote labai greitai")
    english = browser.post("/api/chat", json={"text": "I live in Alytus", "locale": "en-GB"})
    assert english.status_code == 429  # a member who chose Lithuanian hears Lithuanian
    assert english.json()["detail"].startswith("Rašote labai greitai")
    with db.session() as session:  # the refused answer changed nothing
        member = session.exec(select(Member).order_by(Member.id.desc())).first()  # type: ignore[union-attr]
        assert member is not None and member.relation is None


def test_an_address_is_limited_even_without_cookies(
    settings: Settings, engine: Engine, db: Database
):
    limited = settings.model_copy(update={"chat_rate_per_address_per_minute": 5})
    app = create_app(limited, engine=Engine(db=db, settings=limited))
    answers = [
        visitor(app).post("/api/chat", json={"text": "hello", "locale": "en-GB"}) for _ in range(8)
    ]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 3
    assert answers[-1].json()["detail"].startswith("You are writing")  # the page's language


def test_the_request_to_wait_speaks_the_members_language(settings: Settings, db: Database):
    limited = settings.model_copy(update={"chat_rate_per_minute": 3})
    browser = visitor(create_app(limited, engine=Engine(db=db, settings=limited)))
    for payload in ("/start", "lang:en", "consent:all", "relation:resident"):
        assert browser.post("/api/chat", json={"payload": payload}).status_code == 200
    refused = browser.post("/api/chat", json={"text": "hello"})  # no locale sent
    assert refused.status_code == 429 and refused.json()["detail"].startswith("You are writing")


def test_erasure_forgets_the_sessions_message_counts(app, db: Database):  # type: ignore[no-untyped-def]
    from community.models import RateWindow

    browser = visitor(app)
    for payload in ("/start", "lang:lt", "consent:all", "/privacy", "privacy:erase"):
        browser.post("/api/chat", json={"payload": payload})
    cookie = browser.cookies.get("alytus_chat")
    with db.session() as session:
        assert session.get(RateWindow, f"web:{cookie}") is not None
    erased = browser.post("/api/chat", json={"payload": "privacy:erase:yes"})
    assert "ištrinti" in erased.json()["replies"][0]["text"]
    with db.session() as session:
        assert session.get(RateWindow, f"web:{cookie}") is None
