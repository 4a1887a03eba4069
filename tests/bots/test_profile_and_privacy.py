"""/profile shows and changes answers; /privacy exports, changes consent and erases."""

from __future__ import annotations

import json

import pytest

from bots.testing import BotTester, verify_dialog
from community.database import Database
from community.members import UnknownMember
from tests.utils.members import show


@pytest.fixture
def member(bot: BotTester) -> BotTester:
    for step in ("/start", "en", "yes", "abroad", "Ireland, Cork", "jobs", "maybe"):
        bot.say(step)
    assert "Thank you!" in bot.text()
    return bot


def test_profile_shows_every_answer(member: BotTester):
    member.say("/profile")
    text = member.text()
    for shown in ("I live abroad", "Ireland, Cork", "Jobs", "Maybe", "English"):
        assert shown in text


def test_profile_changes_interests_by_typing(member: BotTester, db: Database):
    verify_dialog(
        member,
        [
            ("/profile", "Your profile"),
            ("[profile:edit:interests]", "What are you interested in?"),
            ("business, crafts", ["Saved.", "Business and investment, Crafts"]),
        ],
    )
    assert show(db, "emigrant-1")["interests"] == ["business", "crafts"]


def test_profile_changes_country_by_typing_the_field(member: BotTester, db: Database):
    member.say("/profile")
    member.say("change country")
    assert "Which country" in member.text()
    member.say("Norvegija, Bergenas")
    assert show(db, "emigrant-1")["country"] == "NO"


def test_language_switch_changes_every_later_message(member: BotTester, db: Database):
    member.say("/language")
    member.say("lietuviu")
    assert "kalbėsime lietuviškai" in member.text()
    member.say("/profile")
    assert "Jūsų profilis" in member.text() and "Airija" in member.text()
    assert show(db, "emigrant-1")["language"] == "lt"


def test_export_gives_everything_we_hold_as_json(member: BotTester):
    member.say("/privacy")
    member.press("privacy:export")
    file = member.last[0].file
    assert file is not None and file.mime == "application/json"
    data = json.loads(file.content)
    assert data["profile"]["country"] == "IE"
    assert data["channels"] == [
        {"platform": "terminal", "user_id": "emigrant-1", "since": data["channels"][0]["since"]}
    ]
    assert {c["purpose"] for c in data["consent_history"]} >= {"membership", "news"}


def test_withdrawing_news_consent_is_recorded(member: BotTester, db: Database):
    member.say("/privacy")
    member.press("privacy:toggle:news")
    assert "Consent updated" in member.text()
    consents = show(db, "emigrant-1")["consents"]
    assert consents["news"] is False and consents["membership"] is True


def test_erasure_asks_first_and_then_removes_the_person(member: BotTester, db: Database):
    member.say("/privacy")
    member.press("privacy:erase")
    member.press("privacy:erase:no")
    assert "Nothing was erased" in member.text()
    assert show(db, "emigrant-1")["country"] == "IE"

    member.say("/privacy")
    member.say("delete my data")
    member.say("yes")
    assert "has been erased" in member.text()
    with pytest.raises(UnknownMember):
        show(db, "emigrant-1")


def test_after_erasure_the_same_account_starts_as_a_stranger(member: BotTester, db: Database):
    member.say("/privacy")
    member.press("privacy:erase")
    member.press("privacy:erase:yes")
    member.say("hello")
    assert "Which language" in member.text()
    with pytest.raises(UnknownMember):  # a greeting keeps nothing: no member row yet
        show(db, "emigrant-1")
    member.press("lang:en")
    fresh = show(db, "emigrant-1")
    assert fresh["country"] is None and fresh["referral_code"] is None


def test_after_saying_no_to_data_nothing_typed_is_kept_for_staff(
    db: Database, settings, nlu_parser
):
    """The bot promised "jokių asmens duomenų nesaugosime": a sentence typed after that is
    not filed in the staff inbox, and the reply says so."""
    from sqlmodel import func, select

    from bots.engine import Engine
    from knowledge.answers import Answer
    from knowledge.models import UnansweredQuestion

    def knows_nothing(*, session, settings, question, language):  # type: ignore[no-untyped-def]
        return Answer(False, "", [], 0.1, language)

    engine = Engine(db=db, settings=settings, parser=nlu_parser, answer=knows_nothing)
    visitor = BotTester(engine=engine, user_id="declined")
    verify_dialog(
        visitor,
        [("/start", "Kokia kalba"), ("[lang:lt]", "Ar sutinkate?"),
         ("[consent:no]", "nesaugosime"),
         ("esu is alytaus, bet dabar gyvenu norvegijoj, osle", "neperdaviau")],
    )  # fmt: skip
    assert "perdaviau savivaldybės" not in visitor.text()
    with db.session() as session:
        assert session.exec(select(func.count()).select_from(UnansweredQuestion)).one() == 0
