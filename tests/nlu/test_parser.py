"""What members notice: free text in Lithuanian or English, with or without diacritics, is
understood; the result has Rasa's shape; odd input does not break anything."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from nlu.parser import Parser


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("taip", "affirm"),
        ("jo", "affirm"),
        ("sutinku", "affirm"),
        ("ne", "deny"),
        ("nesutinku", "deny"),
        ("kiek turiu tasku", "my_points"),
        ("kiek as turiu tasku dabar?", "my_points"),
        ("noriu pakviesti drauga", "invite_friend"),
        ("noriu pakviest savo drauga", "invite_friend"),
        ("esu is norvegijos", "inform"),
        ("gyvenu airijoj", "inform"),
        ("labas", "greet"),
        ("aciu labai", "thanks"),
        ("kaip uzregistruoti vaika i darzeli", "service_question"),
        ("kada isveza siuksles", "service_question"),
        ("noriu istrinti paskyra", "privacy_erase"),
        ("atsiuskite visus mano duomenis", "privacy_export"),
        ("kalbek angliskai", "change_language"),
        ("atšaukti", "cancel"),
        ("ar tu robotas", "bot_challenge"),
        ("noriu kalbeti su zmogumi", "talk_to_human"),
        ("ieskau darbo alytuje", "jobs"),
        ("kokie renginiai savaitgali", "events"),
        ("yes", "affirm"),
        ("ok", "affirm"),
        ("no thanks", "deny"),
        ("how many points do i have", "my_points"),
        ("i want to invite a friend", "invite_friend"),
        ("where do I declare my residence", "service_question"),
        ("i wanna delete my acount", "privacy_erase"),
        ("show me my alytus passport", "my_passport"),
        ("who is top of the leaderboard", "leaderboard"),
        ("i'm planning to move back to lithuania", "return_help"),
        ("tell me a joke", "out_of_scope"),
    ],
)
def test_members_free_text_is_understood(parser: Parser, text: str, intent: str) -> None:
    assert parser.parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    ("with_marks", "without"),
    [
        ("kiek turiu taškų", "kiek turiu tasku"),
        ("ačiū už pagalbą", "aciu uz pagalba"),
        ("noriu ištrinti paskyrą", "noriu istrinti paskyra"),
        ("KAIP UŽREGISTRUOTI VAIKĄ Į DARŽELĮ", "kaip uzregistruoti vaika i darzeli"),
        ("gyvenu Norvegijoje", "gyvenu norvegijoje"),
    ],
)
def test_diacritics_and_case_do_not_change_the_intent(
    parser: Parser, with_marks: str, without: str
) -> None:
    assert parser.parse(with_marks)["intent"]["name"] == parser.parse(without)["intent"]["name"]


def test_country_and_city_entities_from_inflected_lithuanian(parser: Parser) -> None:
    text = "esu is norvegijos, gyvenu Bergene"
    entities = parser.parse(text)["entities"]
    assert {(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in entities} >= {
        ("country", "NO", "norvegijos"),
        ("city", "Bergen", "Bergene"),
    }


def test_interest_synonyms_and_dates(parser: Parser) -> None:
    interests = {
        e["value"]
        for e in parser.parse("domiuosi krepsiniu ir muzika")["entities"]
        if e["entity"] in ("interest", "interest_topic")
    }
    assert interests >= {"sport", "events"}  # the member's interests, as the profile names them
    found = {(e["entity"], e["value"]) for e in parser.parse("renginiai rytoj Londone")["entities"]}
    assert found >= {("date", "rytoj"), ("city", "London")}


def test_result_has_rasas_shape(parser: Parser) -> None:
    result = parser.parse("kiek turiu tasku")
    assert set(result) == {"text", "intent", "intent_ranking", "entities", "language"}
    assert set(result["intent"]) == {"name", "confidence"}
    assert 0.0 <= result["intent"]["confidence"] <= 1.0
    assert result["intent_ranking"][0] == result["intent"]
    assert len({item["name"] for item in result["intent_ranking"]}) == len(result["intent_ranking"])
    entity = parser.parse("gyvenu Airijoje")["entities"][0]
    assert set(entity) == {"entity", "value", "start", "end", "extractor"}


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_out_of_scope(parser: Parser, text: str) -> None:
    assert parser.parse(text)["intent"]["name"] == "out_of_scope"


def test_gibberish_is_out_of_scope(parser: Parser) -> None:
    assert parser.parse("qqqqqq zzzzzz")["intent"]["name"] == "out_of_scope"


def test_ten_thousand_characters_parse(parser: Parser) -> None:
    text = ("kiek turiu tasku " * 600)[:10_000]
    result = parser.parse(text)
    assert result["intent"]["name"] == "my_points"
    assert parser.parse("ž" * 10_000)["intent"]["name"]


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        ("labas", "lt", "lt"),
        ("ne", "lt", "lt"),
        ("ok", "en", "en"),
        ("labas", None, "lt"),
        ("kaip uzregistruot vaika i darzeli", "en", "lt"),
        ("how do I register my child for kindergarten", "lt", "en"),
        ("how many points do i have", None, "en"),
        ("kiek turiu tasku", None, "lt"),
    ],
)
def test_language_uses_the_members_choice_as_prior(
    parser: Parser, text: str, hint: str | None, language: str
) -> None:
    assert parser.parse(text, language_hint=hint)["language"] == language


def test_parsing_from_worker_threads_gives_the_same_answers(parser: Parser) -> None:
    texts = ["taip", "ne", "kiek turiu tasku", "noriu pakviesti drauga", "hello"] * 8
    expected = [parser.parse(text)["intent"]["name"] for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda text: parser.parse(text)["intent"]["name"], texts))
    assert got == expected
