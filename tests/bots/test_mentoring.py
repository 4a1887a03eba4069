"""Mentoring in chat as members meet it: offer or seek help, a proposal to both sides, an
introduction only after both say yes, messages passed on by the bot, a decline, a stop.

Ona writes in Lithuanian without diacritics; Tom and Jonas write in English."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select

from bots.engine import Engine
from bots.testing import BotTester, verify_dialog
from community.database import Database
from community.models import HelpMatch, HelpOffer, Notification
from tests.community.test_feed import add_member

PROPOSAL = re.compile(r"/mentor (?:yes|taip) (\d+)")


@pytest.fixture
def members(db: Database) -> None:
    with db.session() as session:
        add_member(session, user="ona", platform="terminal", language="lt", country="LT")
        add_member(session, user="tom", platform="terminal", language="en", country="IE")
        add_member(session, user="jonas", platform="terminal", language="en", country="GB")


def chat(engine: Engine, user: str) -> BotTester:
    return BotTester(engine=engine, user_id=user)


def proposal_id(tester: BotTester) -> int:
    found = PROPOSAL.search(tester.text())
    assert found, tester.text()
    return int(found.group(1))


def offer_it_mentoring(ona: BotTester) -> None:
    """Ona offers IT mentoring in Lithuanian and English, by buttons and typing."""
    verify_dialog(
        ona,
        [
            ("/mentor", ["Ką norėtumėte", "Būti mentoriumi", "Rasti mentorių"]),
            ("[/mentor offer mentoring]", ["Kokia sritis", "IT", "Verslas"]),
            ("[/mentor offer mentoring it]", "Kuriomis kalbomis kalbate"),
        ],
    )
    both = [payload for payload in ona.payloads() if payload.endswith(" lt en")]
    assert len(both) == 1 and both[0].startswith("/mentor lang ")
    verify_dialog(ona, [(f"[{both[0]}]", ["Užrašiau: Būti mentoriumi", "neradau"])])


def test_the_field_and_the_languages_can_simply_be_typed(
    engine: Engine, db: Database, members: None
):
    ona, tom = chat(engine, "ona"), chat(engine, "tom")
    offer_it_mentoring(ona)
    verify_dialog(
        tom,
        [
            ("/mentor", "What would you like?"),
            ("[/mentor seek mentoring]", ["Which field?", "just type"]),
            ("programavimas", "Which languages do you speak?"),
            ("lietuviu ir anglu", ["Saved: Find a mentor", "Want to be introduced?"]),
        ],
    )
    tom.say("accounting")  # both questions answered: words are read afresh again
    assert "Saved" not in tom.text() and "Which" not in tom.text()
    verify_dialog(
        tom, [("/mentor", "What would you like?"), ("[/mentor offer volunteering]", "Which area?")]
    )
    tom.say("kaip gauti vieta darzelyje?")  # a question is not the answer
    assert "Saved" not in tom.text() and "Type /mentor" in tom.text()
    with db.session() as session:
        offers = session.exec(select(HelpOffer)).all()
    assert sorted((o.kind, o.role) for o in offers) == [
        ("mentoring", "offer"),
        ("mentoring", "seek"),
    ]


def test_a_mentor_and_a_seeker_are_introduced_only_when_both_say_yes(
    engine: Engine, db: Database, members: None
):
    ona, tom = chat(engine, "ona"), chat(engine, "tom")
    offer_it_mentoring(ona)
    verify_dialog(
        tom,
        [
            (
                "/mentor seek mentoring software development; English",
                [
                    "Saved: Find a mentor. I found people who fit: 1",
                    "Someone who wants to mentor could be a match for you",
                    "IT",
                    "English",
                    "Want to be introduced?",
                ],
            )
        ],
    )
    match = proposal_id(tom)
    told_tom = tom.text()
    ona.say("/mentor list")
    for text in (told_tom, ona.text()):  # neither name nor account before both say yes
        assert not re.search(r"\b(ona|tom|terminal)\b", text, re.IGNORECASE), text
    assert "Žmogus, kuris ieško mentoriaus" in ona.text()
    assert "angliškai" in ona.text()

    verify_dialog(
        tom,
        [
            (f"/mentor yes {match}", "wait for the other person's answer"),
            (f"/msg {match} hello", "only write to someone you both agreed"),
        ],
    )
    verify_dialog(ona, [(f"/mentor taip {match}", ["Abu sutikote", f"/msg {match}"])])
    verify_dialog(
        tom,
        [
            (f"/msg {match} Hello Ona, thank you!", ["Passed on", "You both said yes"]),
        ],
    )
    verify_dialog(
        ona,
        [
            ("/mentor list", ["Jūsų mentorystės pažintis rašo", "Hello Ona, thank you!"]),
            (f"/msg {match} Labas, malonu susipazinti", "Perdaviau"),
        ],
    )
    with db.session() as session:
        relayed = session.exec(
            select(Notification)
            .where(Notification.message_key == "mentoring.relayed")
            .order_by(col(Notification.id))
        ).all()
        assert [n.params["text"] for n in relayed] == [
            "Hello Ona, thank you!",
            "Labas, malonu susipazinti",
        ]
        assert all("ona" not in str(n.params) and "tom" not in str(n.params) for n in relayed)
    verify_dialog(
        tom,
        [("/help", ["Your mentoring match says:", "Labas, malonu susipazinti"])],
    )


def test_a_no_ends_the_proposal_for_both(engine: Engine, db: Database, members: None):
    ona, jonas = chat(engine, "ona"), chat(engine, "jonas")
    offer_it_mentoring(ona)
    jonas.say("/mentor seek mentoring IT; en")
    match = proposal_id(jonas)
    verify_dialog(
        jonas,
        [
            (f"/mentor no {match}", "no introduction"),
            (f"/mentor yes {match}", "already ended"),
        ],
    )
    verify_dialog(
        ona,
        [
            (f"/mentor taip {match}", ["neįvyks", "jau baigtas"]),
            (f"/msg {match} labas", "Rašyti galima tik"),
        ],
    )
    with db.session() as session:
        found = session.get(HelpMatch, match)
        assert found is not None and found.status == "declined"


def test_stop_ends_an_introduction_and_tells_the_other_side(
    engine: Engine, db: Database, members: None
):
    ona, tom = chat(engine, "ona"), chat(engine, "tom")
    offer_it_mentoring(ona)
    tom.say("/mentor seek mentoring IT; en")
    match = proposal_id(tom)
    tom.say(f"/mentor yes {match}")
    ona.say(f"/mentor taip {match}")
    verify_dialog(ona, [("/mentor stop", "Sustabdžiau visus")])
    verify_dialog(
        tom,
        [
            ("/mentor list", ["You both said yes", f"Match {match} has ended"]),
            (f"/msg {match} still there?", "only write to someone"),
        ],
    )


def test_a_member_who_has_not_joined_is_asked_to_join_first(engine: Engine):
    visitor = chat(engine, "visitor")
    visitor.say("/mentor")
    assert "/start" in visitor.payloads()
    verify_dialog(visitor, [("/msg 1 hi", "")])
    assert "/start" in visitor.payloads()


def test_typed_lithuanian_commands_and_bad_input_get_a_hint(engine: Engine, members: None):
    ona = chat(engine, "ona")
    verify_dialog(
        ona,
        [
            ("/mentor siulau savanoryste vaikai; lietuviu", "Užrašiau: Savanoriauti"),
            ("/mentor ieskau", "/mentor siulau mentoryste IT; lt en"),
            ("/mentor taip abc", "/mentor siulau mentoryste"),
            ("/mentor taip 999999", "nebegalioja"),
            ("/msg", "/msg 3 Labas"),
        ],
    )


def test_erasing_a_member_deletes_what_they_wrote_through_the_bot(
    engine: Engine, db: Database, members: None
):
    """Tom's relayed message waits in Ona's outbox; when Tom asks to be erased, it goes."""
    ona, tom, jonas = chat(engine, "ona"), chat(engine, "tom"), chat(engine, "jonas")
    offer_it_mentoring(ona)
    tom.say("/mentor seek mentoring software development; English")
    match = proposal_id(tom)
    tom.say(f"/mentor yes {match}")
    ona.say(f"/mentor taip {match}")
    tom.say(f"/msg {match} My phone is +370 600 00000")
    jonas.say("/mentor seek mentoring IT; English")
    with db.session() as session:
        keys = session.exec(select(Notification.dedupe_key)).all()
        assert any(key.startswith(f"mentoring.msg:{match}:") for key in keys)
    tom.say("/privacy")
    tom.press("privacy:erase")
    tom.press("privacy:erase:yes")
    assert "has been erased" in tom.text()
    with db.session() as session:
        left = session.exec(select(Notification)).all()
        assert not any("+370 600 00000" in str(n.params) for n in left)
        assert not [n for n in left if n.dedupe_key.split(":")[1:2] == [str(match)]]
        assert session.exec(select(HelpMatch).where(HelpMatch.id == match)).first() is None
