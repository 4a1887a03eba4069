"""Free text understood everywhere: the real NLU model and the real knowledge base.

The members here type as people do, in Lithuanian without diacritics or in English.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bots.engine import Engine
from bots.testing import BotTester, verify_dialog
from community.database import Database
from community.models import utcnow
from community.settings import Settings
from knowledge.answers import answer_question
from knowledge.articles import ArticleDraft, publish_article, save_article
from knowledge.demo import ARTICLES_DIR
from knowledge.importer import import_paths
from knowledge.inbox import tell_askers
from knowledge.models import UnansweredQuestion
from tests.bots.test_events import event


@pytest.fixture
def settings(kb_settings: Settings) -> Settings:
    return kb_settings


@pytest.fixture
def engine(db: Database, settings: Settings, nlu_parser: Any) -> Iterator[Engine]:
    report = import_paths(db=db, paths=[ARTICLES_DIR], author="test")
    assert not report.failed
    yield Engine(db=db, settings=settings, parser=nlu_parser, answer=answer_question)


@pytest.fixture
def member(engine: Engine) -> BotTester:
    bot = BotTester(engine=engine, user_id="ona")
    for step in ("/start", "lietuviu", "sutinku", "gyvenu uzsienyje", "Londone", "darbas", "gal"):
        bot.say(step)
    assert "pakvietimo kodas" in bot.text()
    return bot


def test_an_emigrant_asks_about_kindergartens_and_gets_a_cited_answer(member: BotTester):
    member.say("kaip uzregistruoti vaika i darzeli")
    text = member.text()
    assert "Šaltinis:" in text and "darž" in text.lower()
    assert any(link.url.startswith("http") for reply in member.last for link in reply.links)


def test_a_service_question_in_the_middle_of_onboarding_is_answered_then_onboarding_goes_on(
    engine: Engine,
):
    bot = BotTester(engine=engine, user_id="jonas")
    for step in ("/start", "lt", "sutinku"):
        bot.say(step)
    bot.say("kaip deklaruoti gyvenamaja vieta?")
    assert "Šaltinis:" in bot.text()
    assert "Koks jūsų ryšys su Alytumi?" in bot.text() and "relation:emigrant" in bot.payloads()
    bot.say("grizau")
    assert "Kas jums įdomu?" in bot.text()


def test_a_first_message_that_is_a_question_is_answered_and_joining_offered(engine: Engine):
    bot = BotTester(engine=engine, user_id="resident", platform="web")
    bot.say("kaip rusiuoti atliekas alytuje?")
    assert "Šaltinis:" in bot.text()
    assert "/start" in bot.payloads()


def test_words_do_what_commands_do(member: BotTester):
    verify_dialog(
        member,
        [
            ("noriu pakeisti kalba", "Kokia kalba kalbėsime?"),
            ("english", "continue in English"),
            ("I want to invite a friend", ["invitation code", "?ref="]),
            ("I want to talk to a person", "+370 315 55 111"),
            ("delete my data", "Erase all your data?"),
            ("no", "Nothing was erased"),
        ],
    )


def test_cancel_in_words_leaves_a_question(member: BotTester):
    member.say("/profile")
    member.press("profile:edit:place")
    member.say("atsaukti")
    assert "Atšaukta" in member.text()


def test_an_unanswerable_question_is_declined_filed_and_the_asker_told_when_answered(
    member: BotTester, db: Database, settings: Settings
):
    question = "ar alytuje yra sunu dresiravimo aikstele?"
    member.say(question)
    assert "nespėlioju" in member.text() and "intent:talk_to_human" in member.payloads()
    with db.session() as session:
        filed = session.exec(select(UnansweredQuestion)).all()
        assert [q.question for q in filed] == [question]

    with db.session() as session:
        save_article(
            session=session,
            draft=ArticleDraft(
                id="lt-sunu-aiksteles",
                title="Šunų dresiravimo aikštelės Alytuje",
                language="lt",
                category="leisure",
                body="# Šunų dresiravimo aikštelės\n\nAlytuje šunų dresiravimo aikštelė yra "
                "Vidzgirio miške prie Jotvingių gatvės. Aikštelė nemokama ir atvira kasdien.",
                source_urls=["https://alytus.lt/sunys"],
                status="draft",
            ),
            author="editor",
        )
        publish_article(session=session, article_id="lt-sunu-aiksteles", author="editor")
        assert tell_askers(session=session, settings=settings, article_id="lt-sunu-aiksteles")

    member.say("aciu")
    assert f"Neseniai klausėte: „{question}“" in member.text()
    assert "https://alytus.lt/sunys" in member.text()


def test_a_question_the_model_calls_out_of_scope_is_still_answered_when_an_article_can(
    member: BotTester, engine: Engine, db: Database
):
    assert engine.parser is not None
    intent = engine.parser.parse("kiek vaiko pinigu 2026", language_hint="lt")["intent"]
    assert intent["name"] == "out_of_scope"  # the case this covers (retraining may move it)
    member.say("kiek vaiko pinigu 2026")
    assert "Šaltinis:" in member.text() and "Vaiko pinigai" in member.text()
    stranger = BotTester(engine=engine, user_id="stranger", platform="web")
    stranger.say("kiek vaiko pinigu 2026")  # as a first message, too, with joining offered
    assert "Vaiko pinigai" in stranger.text() and "/start" in stranger.payloads()
    member.say("kas laimejo krepsinio varzybas")  # truly not ours: the refusal, nothing filed
    assert "su tuo padėti negaliu" in member.text()
    assert filed_questions(db) == []


def filed_questions(db: Database) -> list[str]:
    with db.session() as session:
        return [q.question for q in session.exec(select(UnansweredQuestion)).all()]


def test_asking_for_mentoring_or_volunteering_in_words_opens_the_mentoring_menu(
    member: BotTester, db: Database
):
    member.say("noriu tapti mentoriumi")
    assert "Mentorystė, savanorystė ir labdara" in member.text()
    assert "/mentor offer mentoring" in member.payloads()
    assert "nespėlioju" not in member.text()
    member.say("kur galeciau savanoriauti")
    assert "/mentor seek volunteering" in member.payloads()
    assert filed_questions(db) == []  # a request the bot serves is not a gap for staff


def test_asking_about_events_in_words_lists_the_members_events(member: BotTester, db: Database):
    member.say("kokie renginiai vyksta?")
    assert "Artėjančių renginių kol kas nėra" in member.text()
    with db.session() as session:
        event(session, "Concert in the park", utcnow() + timedelta(days=3))
    replies = member.say("kokie renginiai vyksta?")
    assert [card.title for reply in replies for card in reply.cards] == ["Concert in the park (lt)"]
    assert any(payload.startswith("/events yes ") for payload in member.payloads())
    assert filed_questions(db) == []


def test_a_stranger_asking_to_volunteer_is_invited_to_join_once(engine: Engine, db: Database):
    bot = BotTester(engine=engine, user_id="stranger", platform="web")
    bot.say("noriu savanoriauti")
    assert "bendruomenės nariams" in bot.text()
    assert bot.payloads().count("/start") == 1
    assert filed_questions(db) == []


def test_asking_for_a_mentor_during_onboarding_keeps_onboarding(engine: Engine):
    bot = BotTester(engine=engine, user_id="jonas")
    for step in ("/start", "lt", "sutinku"):
        bot.say(step)
    bot.say("ieskau mentoriaus")
    assert "/mentor offer mentoring" not in bot.payloads()
    assert "Koks jūsų ryšys su Alytumi?" in bot.text()


def test_an_english_speaker_gets_the_answer_in_english_with_its_source(engine: Engine):
    bot = BotTester(engine=engine, user_id="john")
    for step in ("/start", "english", "yes", "abroad", "Ireland", "education", "within a year"):
        bot.say(step)
    bot.say("how do I get a kindergarten place for my child?")
    assert "Source:" in bot.text()


class FixedParser:
    """NLU that is unsure between two intents: the engine must ask which one was meant."""

    def parse(self, text: str, *, language_hint: str | None = None) -> dict[str, Any]:
        ranking = [
            {"name": "edit_profile", "confidence": 0.31},
            {"name": "invite_friend", "confidence": 0.29},
            {"name": "out_of_scope", "confidence": 0.2},
        ]
        return {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []}


def test_when_unsure_the_bot_asks_which_of_the_two_was_meant(db: Database, settings: Settings):
    bot = BotTester(engine=Engine(db=db, settings=settings, parser=FixedParser()), user_id="x")
    for step in ("/start", "en", "yes", "resident", "sport"):
        bot.say(step)
    bot.say("the friend thing in my profile")
    assert "what would you like?" in bot.text()
    assert bot.payloads() == ["intent:edit_profile", "intent:invite_friend"]
    bot.press("intent:invite_friend")
    assert "invitation code" in bot.text()


def test_every_message_and_question_is_counted_for_analytics_without_its_text(
    member: BotTester, db: Database
):
    from community.models import Activity

    with db.session() as session:
        before = len(session.exec(select(Activity)).all())
    member.say("kaip rusiuoti atliekas alytuje?")
    member.say("ar alytuje yra sunu dresiravimo aikstele?")
    with db.session() as session:
        rows = session.exec(select(Activity).order_by(Activity.id)).all()[before:]
    questions = [row.answered for row in rows if row.kind == "question"]
    assert questions == [True, False]
    assert [row.kind for row in rows].count("message") == 2
    assert all(row.platform == "terminal" and row.member_id is not None for row in rows)
    assert not any(hasattr(row, "text") or hasattr(row, "question") for row in rows)
