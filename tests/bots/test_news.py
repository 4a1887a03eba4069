"""`/news`, `/optout KIND` and `/optin KIND` in the member's language."""

from __future__ import annotations

from datetime import UTC, datetime

from bots.broadcasting import render_item
from bots.catalog import default_catalog
from bots.engine import Engine
from bots.messages import Incoming
from bots.news import news, opt_in, opt_out
from bots.testing import BotTester, verify_dialog
from bots.turn import Turn
from community.database import Database
from community.feed import audience_query, create_item
from community.models import Conversation, Member
from community.settings import Settings
from tests.community.test_feed import add_member, item


def turn_for(session, settings: Settings, member: Member) -> Turn:  # type: ignore[no-untyped-def]
    return Turn(
        session=session,
        settings=settings,
        catalog=default_catalog(),
        member=member,
        conversation=Conversation(member_id=member.id),
        incoming=Incoming(platform="telegram", user_id="1", text="/news"),
        text="/news",
        payload=None,
    )


def test_news_lists_the_latest_items_for_the_member_with_links(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="1", language="en", country="NO")
        item(session, kind="job")
        item(session, kind="event", countries=["GB"])  # not for Norway
        [reply] = news(turn_for(session, settings, member))
        assert reply.text.startswith("The latest news for you")
        assert [card.title for card in reply.cards] == ["Jobs: A job in Alytus"]
        assert reply.cards[0].links[0].url == "https://alytus.lt/darbas"
        assert reply.cards[0].buttons[0].payload == "/optout job"


def test_news_in_lithuanian_and_when_there_is_none(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="1", language="lt")
        [reply] = news(turn_for(session, settings, member))
        assert reply.text.startswith("Kol kas naujienų jums nėra")
        item(session, kind="job")
        [reply] = news(turn_for(session, settings, member))
        assert reply.cards[0].title == "Darbo pasiūlymai: Darbas Alytuje"


def test_opt_out_by_code_or_word_and_back_in(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="1", language="lt")
        job = item(session, kind="job")
        turn = turn_for(session, settings, member)
        [reply] = opt_out(turn, "darbas")
        assert "nebesiųsime žinių apie: Darbo pasiūlymai" in reply.text
        assert "/optin job" in reply.text
        assert member.id not in session.exec(audience_query(session, job)).all()
        [reply] = opt_out(turn, "job")
        assert "jau nesiunčiame" in reply.text
        [reply] = opt_out(turn, "gossip")
        assert "Tokios temos nežinau" in reply.text and "mentoring" in reply.text
        [reply] = opt_in(turn, "Darbo pasiūlymai")
        assert "Vėl siųsime" in reply.text
        assert member.id in session.exec(audience_query(session, job)).all()


def test_news_asks_a_stranger_to_join(db: Database, settings: Settings):
    with db.session() as session:
        member = add_member(session, user="1", onboarded=False, language="en")
        [reply] = news(turn_for(session, settings, member))
        assert "Join us" in reply.text and reply.buttons[0].payload == "/start"


def test_in_chat_news_and_its_opt_out_button_go_through_the_engine(engine: Engine, db: Database):
    bot = BotTester(engine=engine, user_id="jonas")
    for step in ("/start", "english", "yes", "emigrant", "Norway, Oslo", "jobs", "[return:maybe]"):
        bot.press(step[1:-1]) if step.startswith("[") else bot.say(step)
    with db.session() as session:
        item(session, kind="job")
    verify_dialog(bot, [("/news", ["The latest news for you", "A job in Alytus"])])
    verify_dialog(bot, [("[/optout job]", "/optin job")])
    verify_dialog(bot, [("/news", "No news for you yet")])


def test_an_event_time_reads_as_alytus_time_in_both_languages(db: Database):
    """Stored in UTC; a member in London must not read the UTC hour as the start."""
    catalog = default_catalog()
    with db.session() as session:
        fair = create_item(
            session=session,
            kind="event",
            title_lt="Kalėdų mugė",
            title_en="Christmas fair",
            body_lt="Rotušės aikštėje.",
            body_en="On the town hall square.",
            starts_at=datetime(2026, 12, 20, 16, 0, tzinfo=UTC),  # 18:00 in Alytus (UTC+2)
        )
        summer = create_item(
            session=session,
            kind="event",
            title_lt="Miesto šventė",
            title_en="City festival",
            body_lt="Prie Nemuno.",
            body_en="By the Nemunas.",
            starts_at=datetime(2027, 7, 1, 16, 0, tzinfo=UTC),  # 19:00 in Alytus (UTC+3)
        )
        assert "Kada: 2026-12-20 18:00 (Alytaus laiku)" in render_item(catalog, fair, "lt").text
        assert "When: 2026-12-20 18:00 (Alytus time)" in render_item(catalog, fair, "en").text
        assert "2027-07-01 19:00" in render_item(catalog, summer, "en").text
