"""Bad input gets a polite reply in the member's language, no traceback, state intact."""

from __future__ import annotations

import pytest

from bots.testing import BotTester
from community.database import Database
from tests.utils.members import show


@pytest.fixture
def at_relation_question(bot: BotTester) -> BotTester:
    """A member half-way through onboarding in Lithuanian, asked about their relation."""
    for step in ("/start", "lietuviu", "sutinku"):
        bot.say(step)
    assert "relation:emigrant" in bot.payloads()
    return bot


def still_asks_relation(bot: BotTester) -> bool:
    return "Koks jūsų ryšys su Alytumi?" in bot.text() and "relation:emigrant" in bot.payloads()


def test_empty_message_is_answered_and_the_question_repeated(at_relation_question: BotTester):
    at_relation_question.say("   ")
    assert "Negavau jokių žodžių" in at_relation_question.text()
    assert still_asks_relation(at_relation_question)


def test_only_emoji_is_answered_politely(at_relation_question: BotTester):
    at_relation_question.say("😀🎉👍🏽")
    assert "Negavau jokių žodžių" in at_relation_question.text()
    assert still_asks_relation(at_relation_question)


def test_a_10000_character_message_gets_a_request_to_shorten(at_relation_question: BotTester):
    at_relation_question.say("a" * 10_000)
    assert "per ilga" in at_relation_question.text()
    assert still_asks_relation(at_relation_question)
    at_relation_question.say("gyvenu uzsienyje")
    assert "Kurioje šalyje" in at_relation_question.text()


def test_control_characters_are_dropped_and_the_answer_understood(
    at_relation_question: BotTester,
):
    at_relation_question.say("gyvenu\x00 uzsien\x07yje\x1b")
    assert "Kurioje šalyje" in at_relation_question.text()


def test_a_stale_button_is_explained_and_the_question_repeated(at_relation_question: BotTester):
    at_relation_question.press_stale("lang:en")
    assert "mygtukas jau nebegalioja" in at_relation_question.text()
    assert still_asks_relation(at_relation_question)


def test_an_unknown_payload_is_explained(at_relation_question: BotTester):
    at_relation_question.press_stale("nonsense:payload:42")
    assert "nebegalioja" in at_relation_question.text()
    assert still_asks_relation(at_relation_question)


def test_a_third_language_gets_a_reply_in_the_members_language(at_relation_question: BotTester):
    at_relation_question.say("Hola, no entiendo nada de esto")
    assert "nesupratau" in at_relation_question.text()
    assert still_asks_relation(at_relation_question)


def test_an_unknown_command_lists_what_the_bot_can_do(at_relation_question: BotTester):
    at_relation_question.say("/dance")
    assert "Tokios komandos nežinau" in at_relation_question.text()
    assert "/privacy" in at_relation_question.text()


def test_the_same_update_twice_is_answered_once(bot: BotTester, db: Database):
    first = bot.say("/start", update_id="tg-1001")
    again = bot.say("/start", update_id="tg-1001")
    assert first and again == []
    bot.say("lietuviu", update_id="tg-1002")
    assert "Ar sutinkate?" in bot.text()
    assert bot.say("lietuviu", update_id="tg-1002") == []
    bot.say("sutinku", update_id="tg-1003")
    assert show(db, "emigrant-1")["consents"]["membership"] is True


def test_an_unrecognised_country_asks_again_with_examples(bot: BotTester, db: Database):
    for step in ("/start", "en", "yes", "abroad"):
        bot.say(step)
    bot.say("somewhere nice")
    assert "did not recognise the country" in bot.text()
    bot.say("Airijoje, Dubline")
    member = show(db, "emigrant-1")
    assert (member["country"], member["city"]) == ("IE", "Dublin")


def test_cancel_leaves_the_flow_and_start_resumes_onboarding(at_relation_question: BotTester):
    at_relation_question.say("/cancel")
    assert "Atšaukta" in at_relation_question.text()
    at_relation_question.say("/start")
    assert "lang:lt" in at_relation_question.payloads()


def test_where_one_lives_can_be_left_out(bot: BotTester, db: Database):
    for step in ("/start", "lt", "sutinku", "gyvenu uzsienyje"):
        bot.say(step)
    bot.say("nenoriu sakyti")
    assert "Kas jums įdomu?" in bot.text()
    for step in ("darbas", "gal"):
        bot.say(step)
    member = show(db, "emigrant-1")
    assert (member["country"], member["city"], member["relation"]) == (None, None, "emigrant")
