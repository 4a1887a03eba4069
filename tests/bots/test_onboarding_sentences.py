"""Onboarding as people write it, per persona and in both languages, through the whole
engine with the real NLU model: one sentence may answer several questions, a question asked
in the middle is answered and the open question asked again, and nothing a member says while
joining lands in the staff inbox. (bench/onboarding_phrasings.py measures 473 independently
written answers, a fifth held out.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import func, select

from bots.engine import Engine
from bots.testing import BotTester, verify_dialog
from community.database import Database
from community.settings import Settings
from knowledge.answers import Answer, Source
from knowledge.models import UnansweredQuestion
from tests.utils.members import show

KINDERGARTENS = "Prašymus priimti į darželį teikite per savivaldybės sistemą."


def kindergarten_answer(*, session, settings, question, language):  # type: ignore[no-untyped-def]
    """A knowledge base that knows kindergartens and nothing else."""
    if "darzel" in question.lower().replace("ž", "z") or "kindergarten" in question.lower():
        source = Source(id="lt-darzeliu-priemimas", title="Darželiai", url=None, updated=None)
        return Answer(answered=True, text=KINDERGARTENS, sources=[source], confidence=0.9,
                      language=language)  # fmt: skip
    return Answer(answered=False, text="", sources=[], confidence=0.1, language=language)


@pytest.fixture
def member(db: Database, settings: Settings, nlu_parser: Any) -> BotTester:
    engine = Engine(db=db, settings=settings, parser=nlu_parser, answer=kindergarten_answer)
    return BotTester(engine=engine, user_id="persona")


def filed(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(UnansweredQuestion)).one()


def test_an_emigrant_in_norway_answers_three_questions_in_one_sentence(
    member: BotTester, db: Database
):
    verify_dialog(
        member,
        [
            ("/start", "Kokia kalba"),
            ("lietuviskai", "Ar sutinkate?"),
            ("sutinku", "Koks jūsų ryšys su Alytumi?"),
            # abroad, Norway, Bergen, and the plan to come back: neither asked again
            ("esu is alytaus bet dabar gyvenu norvegijoj, bergene. grisiu kitais metais",
             "Kas jums įdomu?"),
            ("darbas ir koncertai", ["Ačiū!", "pakvietimo kodas"]),
        ],
    )  # fmt: skip
    profile = show(db, "persona")
    assert (profile["relation"], profile["country"], profile["city"]) == (
        "emigrant",
        "NO",
        "Bergen",
    )
    assert profile["return_intention"] == "within_year"
    assert profile["interests"] == ["jobs", "events"]
    assert filed(db) == 0


def test_a_resident_of_dainava_is_not_asked_where_or_whether_they_return(
    member: BotTester, db: Database
):
    verify_dialog(
        member,
        [
            ("/start", "Kokia kalba"),
            ("[lang:lt]", "Ar sutinkate?"),
            ("taip", "Koks jūsų ryšys su Alytumi?"),
            ("gyvenu dainavoj nuo gimimo", "Kas jums įdomu?"),
            ("viskas isskyrus sporta", ["Ačiū!"]),
        ],
    )
    profile = show(db, "persona")
    assert (profile["relation"], profile["country"], profile["city"]) == (
        "resident",
        "LT",
        "Alytus",
    )
    assert set(profile["interests"]) == {
        "jobs", "business", "events", "education", "mentoring", "charity", "crafts"
    }  # fmt: skip


def test_a_returnee_and_a_grandchild_abroad(db: Database, settings: Settings, nlu_parser: Any):
    engine = Engine(db=db, settings=settings, parser=nlu_parser, answer=kindergarten_answer)
    returnee = BotTester(engine=engine, user_id="returnee")
    verify_dialog(
        returnee,
        [("/start", "Kokia"), ("lietuviu", "sutinkate"), ("sutinku", "ryšys"),
         ("sugrizau is airijos pernai", "Kas jums įdomu?")],
    )  # fmt: skip
    assert show(db, "returnee")["relation"] == "returned"
    grandchild = BotTester(engine=engine, user_id="grandchild")
    verify_dialog(
        grandchild,
        [
            ("/start", "Which language"),
            ("english please", "Do you agree?"),
            ("yes, that's fine", "connection to Alytus"),
            ("never lived there, my grandma is from alytus. we live in toronto", "interested in"),
        ],
    )
    profile = show(db, "grandchild")
    assert (profile["relation"], profile["country"], profile["city"]) == ("friend", "CA", "Toronto")


def test_a_question_in_the_middle_is_answered_and_the_open_question_asked_again(
    member: BotTester, db: Database
):
    verify_dialog(
        member,
        [("/start", "Kokia"), ("[lang:lt]", "sutinkate"), ("[consent:all]", "ryšys")],
    )
    verify_dialog(member, [("kaip gauti vieta darzelyje?", [KINDERGARTENS, "ryšys su Alytumi"])])
    assert show(db, "persona")["relation"] is None
    verify_dialog(member, [("hmm nezinau ka cia rasyt", ["/profile", "ryšys su Alytumi"])])
    verify_dialog(member, [("zzz qwerty", ["nesupratau", "ryšys su Alytumi"])])
    assert filed(db) == 0, "nothing said while joining goes to the staff inbox"
    verify_dialog(member, [("Norvegijoje, Osle", "Kas jums įdomu?")])


def test_in_the_profile_menu_a_question_is_answered_not_taken_for_a_field(
    member: BotTester, db: Database
):
    verify_dialog(
        member,
        [("/start", "Kokia"), ("[lang:lt]", "sutinkate"), ("[consent:all]", "ryšys"),
         ("gyvenu alytuje", "Kas jums įdomu?"), ("[interest:done]", "Ačiū")],
    )  # fmt: skip
    verify_dialog(member, [("/profile", "Keisti ryšį")])
    # "vieta" (place) in the question is no wish to change where one lives
    verify_dialog(member, [("kaip gauti vieta darzelyje?", KINDERGARTENS)])
    assert "Kurioje šalyje" not in member.text()
    verify_dialog(member, [("[profile:edit:relation]", "ryšys su Alytumi")])
    verify_dialog(member, [("I live in Ireland now, Cork", "Išsaugota")])
    profile = show(db, "persona")
    assert (profile["relation"], profile["country"], profile["city"]) == ("emigrant", "IE", "Cork")


def test_asking_what_the_passport_is_while_joining_is_answered_and_joining_goes_on(
    member: BotTester, db: Database
):
    """A question about the passport names Alytus ("kas yra alytaus pasas") but is no answer
    to where one lives: it is answered and joining goes on."""
    verify_dialog(
        member,
        [
            ("/start", "Kokia kalba"),
            ("lietuviskai", "Ar sutinkate?"),
            ("sutinku", "Koks jūsų ryšys su Alytumi?"),
            ("kas yra alytaus pasas?", ["Alytiškio pasas", "Kaip surinkti taškų",
                                        "Koks jūsų ryšys su Alytumi?"]),
            ("gyvenu norvegijoje, osle", "Kas jums įdomu?"),
        ],
    )  # fmt: skip
    profile = show(db, "persona")
    assert (profile["relation"], profile["country"], profile["city"]) == ("emigrant", "NO", "Oslo")
    assert filed(db) == 0


def test_asking_why_at_the_consent_question_gets_why_and_joining_resumes_after_a_new_tab(
    member: BotTester, db: Database
):
    """The emigrant asks what the data is for before agreeing, opens the chat again in a new
    tab half-way (the page sends /start), and is told what joining earned."""
    verify_dialog(
        member,
        [
            ("/start", "Kokia kalba"),
            ("lietuviskai", "Ar sutinkate?"),
            ("o kas cia per duomenys? kam jums reikia", ["Duomenų reikia tik tam",
                                                         "Ar sutinkate?"]),
            ("sutinku", "Koks jūsų ryšys su Alytumi?"),
            ("gyvenu norvegijoje, osle", "Kas jums įdomu?"),
            ("/start", ["Tęskime ten, kur sustojome", "Kas jums įdomu?"]),
            ("darbas ir renginiai", "Ar galvojate grįžti"),
            ("gal po metu", ["Ačiū!", "Už prisijungimą jau gavote 80 tšk."]),
        ],
    )  # fmt: skip
    assert "Štai ką galiu" not in member.text()  # the command menu never came up
    assert show(db, "persona")["interests"] == ["jobs", "events"]


def test_a_visitor_writing_english_is_answered_in_english_and_asking_why_is_no_export(
    member: BotTester,
):
    """Someone who has chosen nothing yet and writes English gets English; the join hint
    follows an answer, not a "don't know"; at the consent question "why do you need my
    data?" gets why (there is nothing of theirs to export yet)."""
    verify_dialog(
        member,
        [
            ("how do i get a kindergarten place?", [KINDERGARTENS, "Would you like news"]),
            ("when is the waste collected in my street?", "I did not find a reliable answer"),
        ],
    )
    assert "Would you like news" not in member.text()
    verify_dialog(
        member,
        [
            ("/start", "Which language"),
            ("english", "Do you agree?"),
            ("why do you need my data?", ["We need the data only", "I agree"]),
        ],
    )
    assert "everything we hold" not in member.text()


def test_a_question_at_the_language_question_is_answered_in_its_language_not_taken_for_one(
    member: BotTester, db: Database
):
    """ "…for my Lithuanian son?" names a language but asks something: it is answered, in
    English as it was written, and the language asked again; joining goes on as chosen."""
    verify_dialog(
        member,
        [
            ("/start", "Kokia kalba"),
            ("how do I get a kindergarten place for my Lithuanian son?",
             [KINDERGARTENS, "Which language would you like?"]),
            ("lietuviskai", "Ar sutinkate?"),
        ],
    )  # fmt: skip
    assert show(db, "persona")["language"] == "lt"
