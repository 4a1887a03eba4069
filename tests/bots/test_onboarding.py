"""Onboarding conversations, in both languages, typed without diacritics or by buttons."""

from __future__ import annotations

import re

from bots.engine import Engine
from bots.testing import BotTester, verify_dialog
from community.database import Database
from tests.utils.members import show


def test_emigrant_joins_in_lithuanian_typing_without_diacritics(bot: BotTester, db: Database):
    verify_dialog(
        bot,
        [
            ("/start", ["Kokia kalba kalbėsime?", "Which language"]),
            ("lietuviskai", "Ar sutinkate?"),
            ("taip, sutinku", "Koks jūsų ryšys su Alytumi?"),
            ("gyvenu uzsienyje", "Kurioje šalyje ir mieste"),
            ("gyvenu norvegijoj, osle", "Kas jums įdomu?"),
            ("darbas ir renginiai", "Ar galvojate grįžti"),
            ("planuoju per metus", ["Ačiū!", "pakvietimo kodas"]),
        ],
    )
    assert bot.turns <= 8
    code = re.search(r"kodas: ([A-Z0-9]{8})", bot.text()).group(1)
    assert f"?ref={code}" in bot.text()
    member = show(db, "emigrant-1")
    assert member["language"] == "lt"
    assert member["relation"] == "emigrant"
    assert member["country"] == "NO"
    assert member["city"] == "Oslo"
    assert member["interests"] == ["jobs", "events"]
    assert member["return_intention"] == "within_year"
    assert member["referral_code"] == code
    assert member["consents"] == {
        "membership": True,
        "news": True,
        "personalisation": True,
        "onchain_rewards": True,
    }


def test_emigrant_joins_in_english_with_buttons(bot: BotTester, db: Database):
    verify_dialog(
        bot,
        [
            ("/start", "Which language"),
            ("[lang:en]", "Do you agree?"),
            ("[consent:membership]", "connection to Alytus"),
            ("[relation:emigrant]", "Which country"),
            ("I live in the UK, London", "What are you interested in?"),
            ("[interest:business]", ["✓ Business and investment", "Chosen: Business"]),
            ("[interest:mentoring]", "✓ Mentoring"),
            ("[interest:business]", "Chosen: Mentoring."),
            ("[interest:done]", "moving back"),
            ("[return:maybe]", ["Thank you!", "invitation code"]),
        ],
    )
    assert "✓ Business" not in bot.text()
    member = show(db, "emigrant-1")
    assert (member["country"], member["city"]) == ("GB", "London")
    assert member["interests"] == ["mentoring"]
    assert member["return_intention"] == "maybe"
    assert member["consents"]["membership"] is True
    assert member["consents"]["news"] is False


def test_resident_is_not_asked_where_they_live_or_about_returning(bot: BotTester, db: Database):
    verify_dialog(
        bot,
        [
            ("/start", "Which language"),
            ("english", "Do you agree?"),
            ("yes", "connection to Alytus"),
            ("i live in alytus", "What are you interested in?"),
            ("sport and volunteering", "Thank you!"),
        ],
    )
    member = show(db, "emigrant-1")
    assert (member["relation"], member["country"], member["city"]) == ("resident", "LT", "Alytus")
    assert member["interests"] == ["charity", "sport"]
    assert member["return_intention"] is None


def test_declining_consent_keeps_no_profile_and_still_talks(bot: BotTester, db: Database):
    verify_dialog(
        bot,
        [
            ("/start", "Which language"),
            ("[lang:en]", "Do you agree?"),
            ("no thanks", ["no personal data", "/start"]),
            ("where do I register a child for kindergarten?", "Here is what I can do"),
            ("/profile", "You do not have a profile yet"),
        ],
    )
    member = show(db, "emigrant-1")
    assert member["relation"] is None and member["country"] is None
    assert member["referral_code"] is None
    assert not any(member["consents"].values())


def test_a_friends_link_records_who_invited(engine: Engine, db: Database):
    friend = BotTester(engine=engine, user_id="friend")
    for step in ("/start", "english", "yes", "friend of alytus", "Vokietija, Berlynas", "crafts"):
        friend.say(step)
    code = show(db, "friend")["referral_code"]

    newcomer = BotTester(engine=engine, user_id="newcomer", platform="telegram")
    newcomer.say(f"/start {code}")
    newcomer.say("lt")
    newcomer.say("sutinku")
    with db.session() as session:
        from community.members import find_member, referrals_count

        inviter = find_member(session=session, platform="terminal", user_id="friend")
        assert referrals_count(session=session, member_id=inviter.id) == 1


def test_an_unknown_invitation_code_is_explained_and_joining_goes_on(bot: BotTester):
    bot.say("/start NOSUCHCODE")
    assert "could not find that invitation code" in bot.text().lower() or "neradau" in bot.text()
    assert "lang:lt" in bot.payloads()


def test_your_own_code_does_not_make_you_your_own_referrer(bot: BotTester, db: Database):
    for step in ("/start", "en", "yes", "friend", "Latvia", "sport"):
        bot.say(step)
    code = show(db, "emigrant-1")["referral_code"]
    bot.say(f"/start {code}")
    assert "Welcome back" in bot.text()


def test_locale_from_the_platform_only_picks_the_first_greeting(engine: Engine):
    bot = BotTester(engine=engine, user_id="en-user", locale="en-GB")
    bot.say("/start")
    assert bot.text().startswith("Hello!")
